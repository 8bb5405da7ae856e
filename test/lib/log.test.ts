import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger, forwardLine, formatText, levelFrom, redact, redactText, redactUrl, REDACTED } from '../../lib/log.ts';

/** A logger writing into an array (no stderr, no file). */
function capture(level = 'trace', format: 'json' | 'text' = 'json') {
  const lines: string[] = [];
  const logger = createLogger({ level, format, destination: { write: (s: string) => void lines.push(s) } });
  return { logger, lines, events: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('lib/log redaction', () => {
  test('credential keys are masked at any depth, whatever their case', () => {
    const { logger, lines, events } = capture();
    logger.child({ part: 'web' }).info(
      {
        requestId: 'r1',
        headers: { Authorization: 'Bearer abc.def.ghi', cookie: 'crm_session=s3cr3t', 'set-cookie': ['a=b'] },
        user: { email: 'a@example.com', password: 'hunter2', passwordHash: 'scrypt$x' },
        ingestToken: 'tok-123',
        config: { cubeApiSecret: 'cube-secret', sessionSecret: 'sess', apiKey: 'k-1' },
      },
      'signed in',
    );
    const [e] = events();
    assert.equal(e.msg, 'signed in');
    assert.equal(e.part, 'web');
    assert.equal(e.requestId, 'r1');
    assert.deepEqual(e.headers, { Authorization: REDACTED, cookie: REDACTED, 'set-cookie': REDACTED });
    assert.deepEqual(e.user, { email: 'a@example.com', password: REDACTED, passwordHash: REDACTED });
    assert.equal(e.ingestToken, REDACTED);
    assert.deepEqual(e.config, { cubeApiSecret: REDACTED, sessionSecret: REDACTED, apiKey: REDACTED });
    for (const secret of ['abc.def.ghi', 's3cr3t', 'hunter2', 'scrypt$x', 'tok-123', 'cube-secret', 'k-1']) assert.ok(!lines[0].includes(secret), secret);
  });

  test('query strings of semantic API calls are dropped, in fields and in messages', () => {
    const { logger, lines, events } = capture();
    const q = encodeURIComponent(JSON.stringify({ measures: ['sales.revenue'], filters: [{ member: 'customers.email', operator: 'equals', values: ['jane@example.com'] }] }));
    logger.info({ url: `/cubejs-api/v1/load?query=${q}`, path: '/cubejs-api/v1/meta' }, `proxied GET /cubejs-api/v1/load?query={"filters":["jane@example.com"]} in 12 ms`);
    const [e] = events();
    assert.equal(e.url, '/cubejs-api/v1/load?[Redacted]');
    assert.equal(e.path, '/cubejs-api/v1/meta');
    assert.equal(e.msg, 'proxied GET /cubejs-api/v1/load?[Redacted] in 12 ms');
    assert.ok(!lines[0].includes('jane'), lines[0]);
    assert.equal(redactUrl('http://127.0.0.1:4000/cubejs-api/v1/sql?query=x#frag'), 'http://127.0.0.1:4000/cubejs-api/v1/sql?[Redacted]');
    assert.equal(redactUrl('/v1/ingest/transactions'), '/v1/ingest/transactions');
  });

  test('credentials inside free text: messages, error messages and stacks', () => {
    assert.equal(redactText('sent Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2ln to cube'), 'sent Authorization: Bearer [Redacted] to cube');
    assert.equal(redactText('authorization:Basic dXNlcjpwYXNz'), 'authorization:[Redacted] [Redacted]');
    assert.equal(redactText('GET with Bearer abc123'), 'GET with Bearer [Redacted]');
    assert.equal(redactText('connect as user=crm password=hunter2 host=x'), 'connect as user=crm password=[Redacted] host=x');
    assert.equal(redactText('{"user":"a","password":"p\\"w"}'), '{"user":"a","password":"[Redacted]"}');
    assert.equal(redactText('http://h/x?token=abc&y=1'), 'http://h/x?[Redacted]');
    const { logger, lines, events } = capture();
    logger.error({ err: new Error('login failed for token=abc123') }, 'request failed with secret=s3, Invalid token: bad signature');
    const [e] = events();
    const err = e.err as { type: string; message: string; stack: string };
    assert.equal(err.type, 'Error');
    assert.equal(err.message, 'login failed for token=[Redacted]');
    assert.match(err.stack, /token=\[Redacted\]/);
    assert.equal(e.msg, 'request failed with secret=[Redacted], Invalid token: bad signature');
    assert.ok(!lines[0].includes('abc123') && !lines[0].includes('=s3'), lines[0]);
  });

  test('plain values, cycles and buffers pass without harm', () => {
    const o: Record<string, unknown> = { n: 1, ok: true, empty: null, when: new Date(0), body: Buffer.from('abcd') };
    o.self = o;
    assert.deepEqual(redact(o), { n: 1, ok: true, empty: null, when: '1970-01-01T00:00:00.000Z', body: '[4 bytes]', self: '[…]' });
  });
});

describe('lib/log levels and formats', () => {
  test('CRM_LOG_LEVEL: default info, unknown refused', () => {
    assert.equal(levelFrom(undefined), 'info');
    assert.equal(levelFrom(' DEBUG '), 'debug');
    assert.throws(() => levelFrom('verbose'), /CRM_LOG_LEVEL/);
    const { logger, events } = capture('warn');
    logger.info('hidden');
    logger.warn('shown');
    assert.deepEqual(events().map((e) => [e.level, e.msg]), [['warn', 'shown']]);
  });

  test('the environment is read through the config schema: a bad CRM_LOG_FORMAT or CRM_LOG_LEVEL is named, another bad variable does not matter', () => {
    const saved = { ...process.env };
    const sink = { write: () => {} };
    try {
      process.env.CRM_LOG_FORMAT = 'xml';
      assert.throws(() => createLogger({ destination: sink }), /CRM_LOG_FORMAT must be one of json, text, got 'xml'/);
      process.env.CRM_LOG_FORMAT = ' JSON ';
      process.env.CRM_LOG_LEVEL = 'loud';
      assert.throws(() => createLogger({ destination: sink }), /CRM_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got 'loud'/);
      process.env.CRM_LOG_LEVEL = 'Warn';
      process.env.CRM_WEB_PORT = 'not a port';
      assert.equal(createLogger({ destination: sink }).level, 'warn');
    } finally {
      for (const name of ['CRM_LOG_FORMAT', 'CRM_LOG_LEVEL', 'CRM_WEB_PORT']) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });

  test('JSON lines carry level, time, pid, part and msg', () => {
    const { logger, events } = capture();
    logger.child({ part: 'start' }).info('schema at version 12');
    const [e] = events();
    assert.equal(e.level, 'info');
    assert.match(String(e.time), /^\d{4}-\d\d-\d\dT/);
    assert.equal(e.pid, process.pid);
    assert.equal(e.part, 'start');
    assert.equal(e.msg, 'schema at version 12');
  });

  test('the text format keeps the [part] prefix and the message', () => {
    const { logger, lines } = capture('info', 'text');
    logger.child({ part: 'start' }).info('schema at version 12');
    logger.child({ part: 'web' }).warn({ requestId: 'r9', password: 'x' }, 'slow answer');
    assert.equal(lines[0], '[start] schema at version 12\n');
    assert.equal(lines[1], `[web] WARN slow answer  requestId=r9 password=${REDACTED}\n`);
    assert.equal(formatText('not json'), 'not json\n');
  });

  test('the text format cannot be made to show a forged line or run terminal escapes (log injection)', () => {
    const { logger, lines } = capture('info', 'text');
    // What a client controls: a path, a typed e-mail, a value quoted in an error.
    const forged = 'x\n[web] admin signed in\r\u001b[2K\u001b[1A\u009b2J';
    logger.child({ part: 'web' }).warn({ path: forged, email: `a\u001b]0;pwned\u0007@x` }, `no such page ${forged}`);
    const err = new Error(`bad record ${forged}`);
    logger.child({ part: 'ingest-api' }).error({ err }, 'batch failed');
    const text = lines.join('');
    // Every line of the output begins an event ("[part] …") or is indented under one.
    for (const line of text.split('\n').filter(Boolean)) assert.match(line, /^(\[(web|ingest-api)\] |\s)/, JSON.stringify(line));
    assert.equal(text.split('\n').filter((l) => l.startsWith('[')).length, 2);
    // eslint-disable-next-line no-control-regex -- the point
    assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, 'no raw control characters');
    assert.match(lines[0], /no such page x\\n\[web\] admin signed in\\r\\u001b\[2K/);
  });

  test("a child process's JSON line goes on with its level and fields, redacted again", () => {
    const { logger, events } = capture();
    const semantic = logger.child({ part: 'semantic' });
    forwardLine(semantic, JSON.stringify({ level: 'error', time: 'x', pid: 7, msg: 'API error', requestId: 'q1', status: 500, authorization: 'Bearer z' }));
    forwardLine(semantic, 'Cube semantic layer on http://127.0.0.1:4000/cubejs-api');
    forwardLine(semantic, '   ');
    const [a, b] = events();
    assert.equal(events().length, 2);
    assert.deepEqual([a.level, a.part, a.msg, a.requestId, a.status, a.childPid, a.authorization], ['error', 'semantic', 'API error', 'q1', 500, 7, REDACTED]);
    assert.deepEqual([b.level, b.msg], ['info', 'Cube semantic layer on http://127.0.0.1:4000/cubejs-api']);
  });
});
