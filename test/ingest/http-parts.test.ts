/**
 * The ingest endpoint's pure parts and its HTTP behaviour against fakes (no warehouse): auth,
 * limits, parsing, idempotency and the per-key lock. test/ingest/http.test.ts runs the real engine.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { checkBearer, digestToken } from '../../ingest/http/auth.ts';
import { checkDeclaredLength, contentCoding } from '../../ingest/http/body.ts';
import { HttpError } from '../../ingest/http/errors.ts';
import { KeyedLock, memoryIdempotencyStore, parseIdempotencyKey, requestDigest } from '../../ingest/http/idempotency.ts';
import { batchFormat, parseBatch } from '../../ingest/http/parse.ts';
import { startIngestServer, type BatchToIngest } from '../../ingest/http/index.ts';
import { summaryStatus, toBatchSummary, type BatchSummary } from '../../ingest/http/summary.ts';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof HttpError) return `${err.status} ${err.code}`;
    throw err;
  }
};

describe('checkBearer', () => {
  const expected = digestToken('s3cret-token');
  for (const [header, want] of [
    [undefined, 'missing'],
    ['', 'missing'],
    ['   ', 'missing'],
    ['Bearer s3cret-token', 'ok'],
    ['bearer s3cret-token', 'ok'],
    ['Bearer   s3cret-token  ', 'ok'],
    ['Bearer s3cret-tokenX', 'invalid'],
    ['Bearer s3cret', 'invalid'],
    ['Bearer', 'invalid'],
    ['Basic czNjcmV0LXRva2Vu', 'invalid'],
    ['s3cret-token', 'invalid'],
    ['Bearer s3cret-token extra', 'invalid'],
  ] as const) {
    test(`${JSON.stringify(header)} → ${want}`, () => assert.equal(checkBearer(header, expected), want));
  }
});

describe('body limits and encodings', () => {
  for (const [header, want] of [[undefined, 'identity'], ['identity', 'identity'], ['GZIP', 'gzip'], ['x-gzip', 'gzip']] as const) {
    test(`Content-Encoding ${header} → ${want}`, () => assert.equal(contentCoding(header), want));
  }
  test('br and deflate are refused with 415', () => {
    assert.equal(codeOf(() => contentCoding('br')), '415 unsupported_encoding');
    assert.equal(codeOf(() => contentCoding('deflate')), '415 unsupported_encoding');
  });
  for (const [length, want] of [[undefined, undefined], ['100', undefined], ['1024', undefined], ['1025', '413 payload_too_large'], ['abc', '400 bad_request'], ['-1', '400 bad_request']] as const) {
    test(`Content-Length ${length} with limit 1024 → ${want ?? 'ok'}`, () => assert.equal(codeOf(() => checkDeclaredLength(length, 1024)), want));
  }
});

describe('batchFormat', () => {
  for (const [type, want] of [
    [undefined, 'json'],
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['application/vnd.crm+json', 'json'],
    ['application/x-ndjson', 'ndjson'],
    ['application/jsonl', 'ndjson'],
    ['Application/X-NDJSON; charset=utf-8', 'ndjson'],
  ] as const) {
    test(`${type} → ${want}`, () => assert.equal(batchFormat(type), want));
  }
  test('form posts (curl -d) are refused with 415', () => {
    assert.equal(codeOf(() => batchFormat('application/x-www-form-urlencoded')), '415 unsupported_media_type');
  });
});

describe('parseBatch', () => {
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  const opts = { format: 'json' as const, maxRecords: 3 };
  test('object body', () => {
    assert.deepEqual(parseBatch(json({ source: 'shop', records: [{ a: 1 }, { b: 2 }] }), opts), { source: 'shop', records: [{ a: 1 }, { b: 2 }] });
  });
  test('bare array with ?source=', () => {
    assert.deepEqual(parseBatch(json([{ a: 1 }]), { ...opts, querySource: 'desk' }), { source: 'desk', records: [{ a: 1 }] });
  });
  test('NDJSON skips blank lines and CRLF', () => {
    const body = Buffer.from('{"a":1}\r\n\n{"a":2}\n');
    assert.deepEqual(parseBatch(body, { format: 'ndjson', querySource: 'shop', maxRecords: 3 }), { source: 'shop', records: [{ a: 1 }, { a: 2 }] });
  });
  test('a record nested too deep is a 400 naming the record and field, not a stack overflow (500) later', () => {
    const deep = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
    const body = Buffer.from(`{"source":"shop","records":[{"a":1},{"id":"x","attrs":${deep(1_000_000)}}]}`);
    assert.throws(() => parseBatch(body, opts), (err: unknown) => err instanceof HttpError && err.status === 400 && /records\[1\], field "attrs": nested more than 16 levels/.test(err.message));
    const line = Buffer.from(`{"a":1}\n{"id":"x","attrs":{"b":${deep(20)}}}\n`);
    assert.throws(() => parseBatch(line, { format: 'ndjson', querySource: 'shop', maxRecords: 3 }), (err: unknown) => err instanceof HttpError && /Line 2, field "attrs"/.test(err.message));
    // Sixteen levels (the record, then 15 of objects and arrays) still load.
    const ok = { source: 'shop', records: [{ id: 'y', attrs: JSON.parse(deep(15)) as unknown }] };
    assert.deepEqual(parseBatch(json(ok), opts), ok);
  });
  test('UTF-8 BOM is ignored', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json({ source: 'shop', records: [{}] })]);
    assert.equal(parseBatch(body, opts).source, 'shop');
  });
  for (const [name, body, options, want] of [
    ['not JSON', Buffer.from('{"source":'), opts, '400 invalid_json'],
    ['bad UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), opts, '400 bad_request'],
    ['no source', json({ records: [{}] }), opts, '400 bad_request'],
    ['bad source', json({ source: 'a b', records: [{}] }), opts, '400 bad_request'],
    ['source mismatch', json({ source: 'shop', records: [{}] }), { ...opts, querySource: 'desk' }, '400 bad_request'],
    ['records not an array', json({ source: 'shop', records: {} }), opts, '400 bad_request'],
    ['typo in a top-level key', json({ source: 'shop', record: [{}] }), opts, '400 bad_request'],
    ['empty batch', json({ source: 'shop', records: [] }), opts, '400 bad_request'],
    ['a scalar body', json(42), opts, '400 bad_request'],
    ['a record that is not an object', json({ source: 'shop', records: [{}, 2] }), opts, '400 bad_request'],
    ['a record that is an array', json({ source: 'shop', records: [[]] }), opts, '400 bad_request'],
    ['NDJSON line that is not an object', Buffer.from('{}\nnull\n'), { format: 'ndjson', querySource: 's', maxRecords: 3 }, '400 bad_request'],
    ['too many records', json({ source: 'shop', records: [{}, {}, {}, {}] }), opts, '413 too_many_records'],
    ['NDJSON without ?source=', Buffer.from('{}\n'), { format: 'ndjson', maxRecords: 3 }, '400 bad_request'],
    ['NDJSON bad line', Buffer.from('{}\n{x\n'), { format: 'ndjson', querySource: 's', maxRecords: 3 }, '400 invalid_json'],
    ['NDJSON too many lines', Buffer.from('{}\n{}\n{}\n{}\n'), { format: 'ndjson', querySource: 's', maxRecords: 3 }, '413 too_many_records'],
    ['NDJSON empty', Buffer.from('\n\n'), { format: 'ndjson', querySource: 's', maxRecords: 3 }, '400 bad_request'],
  ] as const) {
    test(`${name} → ${want}`, () => assert.equal(codeOf(() => parseBatch(body, options)), want));
  }
  test('NDJSON names the bad line', () => {
    assert.throws(() => parseBatch(Buffer.from('{}\n\n{x\n'), { format: 'ndjson', querySource: 's', maxRecords: 9 }), /Line 3 /);
  });
});

describe('idempotency keys', () => {
  for (const [header, want] of [
    [undefined, undefined],
    ['abc-123', 'abc-123'],
    ['"8e03978e-40d5-43e8-bc93-6894a57f9324"', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['  padded  ', 'padded'],
  ] as const) {
    test(`${JSON.stringify(header)} → ${want}`, () => assert.equal(parseIdempotencyKey(header), want));
  }
  for (const header of ['', 'has space', 'x'.repeat(256), 'ünï', ['a', 'b']]) {
    test(`${JSON.stringify(header).slice(0, 30)} is refused`, () => assert.equal(codeOf(() => parseIdempotencyKey(header)), '400 invalid_idempotency_key'));
  }
  test('digest depends on entity, URL source and body', () => {
    const body = Buffer.from('{}');
    const base = requestDigest('transactions', undefined, body);
    assert.equal(requestDigest('transactions', undefined, Buffer.from('{}')), base);
    assert.notEqual(requestDigest('interactions', undefined, body), base);
    assert.notEqual(requestDigest('transactions', 'shop', body), base);
    assert.notEqual(requestDigest('transactions', undefined, Buffer.from('{ }')), base);
  });
  test('KeyedLock serialises one key and leaves others free', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    // `a` holds key k until the test opens its gate: no timing involved.
    const gate = new Gate();
    const a = lock.run('k', async () => {
      order.push('a+');
      await gate.opened;
      order.push('a-');
      return 'a';
    });
    const b = lock.run('k', async () => {
      order.push('b+');
      return 'b';
    });
    // Another key runs to its end while k is held, and b waits for a.
    const c = await lock.run('other', async () => {
      order.push('c');
      return 'c';
    });
    assert.equal(c, 'c');
    assert.deepEqual(order, ['a+', 'c']);
    assert.equal(lock.size, 1);
    gate.open();
    assert.deepEqual(await Promise.all([a, b]), ['a', 'b']);
    assert.deepEqual(order, ['a+', 'c', 'a-', 'b+']);
    assert.equal(lock.size, 0);
  });
  test('KeyedLock releases after a failure', async () => {
    const lock = new KeyedLock();
    await assert.rejects(lock.run('k', async () => { throw new Error('boom'); }), /boom/);
    assert.equal(await lock.run('k', async () => 'next'), 'next');
  });
});

describe('toBatchSummary', () => {
  test('maps the pipeline summary; 1-based reject lines become 0-based indexes', () => {
    const summary = toBatchSummary({
      batchId: 'B', entity: 'transactions', input: 'http:k', status: 'completed', read: 3, loaded: 1, updated: 0, duplicates: 1,
      duplicatesInInput: 0, outdated: 0, rejected: 1, staleDeleted: 0, unknownCustomers: 0, customersCreated: 0, seconds: 0.1, rowsPerSecond: 30, warnings: ['w'],
      rejects: [{ line: 3, recordId: 'T3', field: 'amount', reason: 'negative' }],
    }, 3);
    assert.deepEqual(summary, {
      batch_id: 'B', received: 3, loaded: 1, updated: 0, duplicates: 1, duplicates_in_input: 0, customers_created: 0, outdated: 0, rejected: 1,
      rejects: [{ index: 2, record_id: 'T3', field: 'amount', reason: 'negative' }], warnings: ['w'],
    });
  });
});

describe('summaryStatus', () => {
  const s = (received: number, rejected: number): BatchSummary => ({ batch_id: 'b', received, loaded: received - rejected, updated: 0, duplicates: 0, duplicates_in_input: 0, customers_created: 0, outdated: 0, rejected, rejects: [], warnings: [] });
  test('all good → 200', () => assert.equal(summaryStatus(s(3, 0)), 200));
  test('partly bad → 200', () => assert.equal(summaryStatus(s(3, 2)), 200));
  test('all bad → 422', () => assert.equal(summaryStatus(s(3, 3)), 422));
  test('two rejects for one of two records is still a partial batch → 200', () => assert.equal(summaryStatus({ ...s(2, 2), loaded: 1 }), 200));
  test('all duplicates → 200', () => assert.equal(summaryStatus({ ...s(2, 0), loaded: 0, duplicates: 2 }), 200));
});

// --- HTTP against fakes --------------------------------------------------------------------------

const TOKEN = 'test-token-0123456789';

/** Holds whatever awaits `opened` until the test calls open(); `entered` resolves at the first wait. */
class Gate {
  #open!: () => void;
  #enter!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.#open = resolve));
  readonly entered = new Promise<void>((resolve) => (this.#enter = resolve));
  open(): void {
    this.#open();
  }
  /** Signals `entered`, then waits for open(). */
  pass(): Promise<void> {
    this.#enter();
    return this.opened;
  }
}

/** Yields to the event loop until `done()` holds: waits for the server's own progress, no clock involved. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise<void>((resolve) => setImmediate(resolve));
}

async function fakeServer({ gate, ...opts }: { maxBodyBytes?: number; maxRecords?: number; maxConcurrentRequests?: number; maxQueuedRequests?: number; maxQueuedBytes?: number; gate?: Gate } = {}) {
  const loads: BatchToIngest[] = [];
  const lines: string[] = [];
  const store = memoryIdempotencyStore();
  let n = 0;
  const server = await startIngestServer({
    warehouse: {} as Warehouse,
    token: TOKEN,
    port: 0,
    log: (line) => lines.push(line),
    idempotencyStore: store,
    ...opts,
    ingest: async (batch) => {
      loads.push(batch);
      // A load in progress, for as long as the test wants.
      if (gate) await gate.pass();
      const bad = batch.records.map((r, index) => ({ r, index })).filter(({ r }) => !(r as { id?: string }).id);
      return {
        batch_id: `b${++n}`,
        received: batch.records.length,
        loaded: batch.records.length - bad.length,
        updated: 0,
        duplicates: 0,
        rejected: bad.length,
        rejects: bad.map(({ index }) => ({ index, record_id: '', field: 'id', reason: 'missing id' })),
        outdated: 0,
        warnings: [],
      };
    },
  });
  return { server, loads, lines, store };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : body instanceof Uint8Array ? new Uint8Array(body) : JSON.stringify(body),
  });

describe('ingest endpoint against fakes', () => {
  test('health needs no token; unknown routes and methods are JSON errors', async () => {
    const { server } = await fakeServer();
    try {
      const health = await fetch(`${server.url}/v1/health`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const missing = await fetch(`${server.url}/nope`);
      assert.equal(missing.status, 404);
      assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'not_found');
      const get = await fetch(`${server.url}/v1/ingest/transactions`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST');
      const entity = await post(`${server.url}/v1/ingest/opportunities`, { source: 's', records: [{ id: '1' }] });
      assert.equal(entity.status, 404);
      assert.equal(((await entity.json()) as { error: { code: string } }).error.code, 'unknown_entity');
    } finally {
      await server.close();
    }
  });

  test('missing and wrong tokens are 401 with a hint, and never logged', async () => {
    const { server, lines, loads } = await fakeServer();
    try {
      const missing = await fetch(`${server.url}/v1/ingest/transactions`, { method: 'POST', body: '{}' });
      assert.equal(missing.status, 401);
      const body = (await missing.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'unauthorized');
      assert.match(body.error.message, /INGEST_TOKEN/);
      assert.match(body.error.message, /secrets\.json/);
      const wrong = await post(`${server.url}/v1/ingest/transactions`, { source: 's', records: [{ id: '1' }] }, { authorization: 'Bearer not-the-token' });
      assert.equal(wrong.status, 401);
      assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, 'invalid_token');
      assert.match(wrong.headers.get('www-authenticate') ?? '', /invalid_token/);
      assert.equal(loads.length, 0);
      assert.ok(lines.every((l) => !l.includes(TOKEN) && !l.includes('not-the-token')), lines.join('\n'));
      assert.match(lines.at(-1)!, /^ingest-http POST \/v1\/ingest\/transactions 401 \d+ms$/);
    } finally {
      await server.close();
    }
  });

  test('declared, streamed and gunzipped bodies over the limit are 413 without loading', async () => {
    const { server, loads } = await fakeServer({ maxBodyBytes: 64 * 1024 });
    try {
      const big = JSON.stringify({ source: 's', records: Array.from({ length: 4000 }, (_, i) => ({ id: `r${i}`, pad: 'x'.repeat(40) })) });
      const declared = await post(`${server.url}/v1/ingest/transactions`, big);
      assert.equal(declared.status, 413);
      assert.match(((await declared.json()) as { error: { message: string } }).error.message, /64 KiB/);

      // Chunked upload, no Content-Length: counted while streaming.
      const chunk = new TextEncoder().encode('x'.repeat(16 * 1024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 640) controller.enqueue(chunk); // 10 MiB offered, 64 KiB allowed
          else controller.close();
        },
      });
      const streamed = await fetch(`${server.url}/v1/ingest/transactions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      assert.equal(streamed.status, 413);
      await streamed.arrayBuffer();
      assert.ok(sent < 640, `the server should stop reading early (client produced ${sent} chunks)`);

      // 10 MiB of zeros gzip to ~10 KiB: the limit applies after decompression.
      const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
      assert.ok(bomb.length < 64 * 1024);
      const gz = await post(`${server.url}/v1/ingest/transactions`, bomb, { 'content-encoding': 'gzip' });
      assert.equal(gz.status, 413);
      assert.equal(loads.length, 0);

      // The server is still fine afterwards.
      const ok = await post(`${server.url}/v1/ingest/transactions`, { source: 's', records: [{ id: '1' }] });
      assert.equal(ok.status, 200);
    } finally {
      await server.close();
    }
  });

  test('too many records → 413; gzip and NDJSON bodies load', async () => {
    const { server, loads } = await fakeServer({ maxRecords: 2 });
    try {
      const many = await post(`${server.url}/v1/ingest/interactions`, { source: 's', records: [{ id: '1' }, { id: '2' }, { id: '3' }] });
      assert.equal(many.status, 413);
      assert.equal(((await many.json()) as { error: { code: string } }).error.code, 'too_many_records');
      const gz = await post(`${server.url}/v1/ingest/interactions`, gzipSync(JSON.stringify({ source: 's', records: [{ id: '1' }] })), { 'content-encoding': 'gzip' });
      assert.equal(gz.status, 200);
      const nd = await post(`${server.url}/v1/ingest/customers?source=shop`, '{"id":"c1"}\n{"id":"c2"}\n', { 'content-type': 'application/x-ndjson' });
      assert.equal(nd.status, 200);
      assert.deepEqual(loads.map((l) => [l.entity, l.source, l.records.length]), [['interactions', 's', 1], ['customers', 'shop', 2]]);
      const notGzip = await post(`${server.url}/v1/ingest/interactions`, '{"source":"s"}', { 'content-encoding': 'gzip' });
      assert.equal(notGzip.status, 400);
    } finally {
      await server.close();
    }
  });

  test('partly bad → 200 with rejects; all bad → 422 with rejects', async () => {
    const { server } = await fakeServer();
    try {
      const partly = await post(`${server.url}/v1/ingest/transactions`, { source: 's', records: [{ id: '1' }, {}] });
      assert.equal(partly.status, 200);
      assert.deepEqual(((await partly.json()) as BatchSummary).rejects, [{ index: 1, record_id: '', field: 'id', reason: 'missing id' }]);
      const all = await post(`${server.url}/v1/ingest/transactions`, { source: 's', records: [{}] });
      assert.equal(all.status, 422);
      const body = (await all.json()) as BatchSummary & { error: { code: string } };
      assert.equal(body.error.code, 'all_rejected');
      assert.equal(body.rejected, 1);
    } finally {
      await server.close();
    }
  });

  test('idempotency: replay, conflict, and racing copies load once', async () => {
    const gate = new Gate();
    const { server, loads, store } = await fakeServer({ gate, maxConcurrentRequests: 3 });
    try {
      const batch = { source: 's', records: [{ id: '1' }, { id: '2' }] };
      const sent = [1, 2, 3].map(() => post(`${server.url}/v1/ingest/transactions`, batch, { 'idempotency-key': 'k1' }));
      // The first copy is loading (held by the gate); the load finishes only once all three hold
      // a slot of the endpoint (the other two wait for the key's lock).
      await gate.entered;
      await until(() => server.queue().inFlight === 3);
      gate.open();
      const racing = await Promise.all(sent);
      assert.deepEqual(racing.map((r) => r.status), [200, 200, 200]);
      assert.equal(loads.length, 1);
      const bodies = await Promise.all(racing.map((r) => r.json()));
      assert.deepEqual(bodies[1], bodies[0]);
      assert.deepEqual(bodies[2], bodies[0]);
      assert.deepEqual(racing.map((r) => r.headers.get('idempotent-replayed')).sort(), ['true', 'true', null].sort());
      assert.equal(loads[0]!.label, 'http:k1');
      assert.equal(store.rows.get('k1')!.batchId, 'b1');

      const conflict = await post(`${server.url}/v1/ingest/transactions`, { source: 's', records: [{ id: '3' }] }, { 'idempotency-key': 'k1' });
      assert.equal(conflict.status, 422);
      assert.equal(((await conflict.json()) as { error: { code: string } }).error.code, 'idempotency_conflict');
      const otherEntity = await post(`${server.url}/v1/ingest/interactions`, batch, { 'idempotency-key': 'k1' });
      assert.equal(otherEntity.status, 422);
      // Same records, gzip-compressed: the same request.
      const gz = await post(`${server.url}/v1/ingest/transactions`, gzipSync(JSON.stringify(batch)), { 'idempotency-key': 'k1', 'content-encoding': 'gzip' });
      assert.equal(gz.status, 200);
      assert.equal(gz.headers.get('idempotent-replayed'), 'true');
      assert.equal(loads.length, 1);

      const bad = await post(`${server.url}/v1/ingest/transactions`, batch, { 'idempotency-key': 'has space' });
      assert.equal(bad.status, 400);
    } finally {
      await server.close();
    }
  });

  test('an all-rejected batch replays its 422', async () => {
    const { server, loads } = await fakeServer();
    try {
      const first = await post(`${server.url}/v1/ingest/transactions`, { source: 's', records: [{}] }, { 'idempotency-key': 'bad-1' });
      const again = await post(`${server.url}/v1/ingest/transactions`, { source: 's', records: [{}] }, { 'idempotency-key': 'bad-1' });
      assert.deepEqual([first.status, again.status], [422, 422]);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(await again.json(), await first.json());
      assert.equal(loads.length, 1);
    } finally {
      await server.close();
    }
  });

  test('a failing load is a 500 without internals, and not remembered', async () => {
    const store = memoryIdempotencyStore();
    const lines: string[] = [];
    let fail = true;
    const server = await startIngestServer({
      warehouse: {} as Warehouse,
      token: TOKEN,
      port: 0,
      log: (l) => lines.push(l),
      idempotencyStore: store,
      ingest: async (b) => {
        if (fail) throw new Error('Code: 210. Connection refused at /secret/path');
        return { batch_id: 'ok', received: b.records.length, loaded: b.records.length, updated: 0, duplicates: 0, outdated: 0, rejected: 0, rejects: [], warnings: [] };
      },
    });
    try {
      const res = await post(`${server.url}/v1/ingest/transactions`, { source: 's', records: [{ id: '1' }] }, { 'idempotency-key': 'k' });
      assert.equal(res.status, 500);
      const text = await res.text();
      assert.doesNotMatch(text, /secret|Code: 210|at /);
      assert.equal(store.rows.size, 0);
      assert.ok(lines.some((l) => l.includes('Connection refused')));
      fail = false;
      const retry = await post(`${server.url}/v1/ingest/transactions`, { source: 's', records: [{ id: '1' }] }, { 'idempotency-key': 'k' });
      assert.equal(retry.status, 200);
      assert.equal(retry.headers.get('idempotent-replayed'), null);
    } finally {
      await server.close();
    }
  });

  test('over maxConcurrentRequests without a queue → 503 with Retry-After', async () => {
    const gate = new Gate();
    const { server } = await fakeServer({ gate, maxConcurrentRequests: 1, maxQueuedRequests: 0 });
    try {
      const first = post(`${server.url}/v1/ingest/transactions`, { source: 's', records: [{ id: '1' }] });
      await gate.entered; // the first request is loading
      const second = await post(`${server.url}/v1/ingest/transactions`, { source: 's', records: [{ id: '2' }] });
      assert.equal(second.status, 503);
      assert.equal(second.headers.get('retry-after'), '1');
      gate.open();
      assert.equal((await first).status, 200);
    } finally {
      await server.close();
    }
  });

  test('Expect: 100-continue: refused uploads are never asked for, accepted ones are', async () => {
    const { server, loads } = await fakeServer({ maxBodyBytes: 1024 });
    const ask = (headers: Record<string, string | number>, body: string) =>
      new Promise<{ status: number; continued: boolean; text: string }>((resolve, reject) => {
        let continued = false;
        const req = request(`${server.url}/v1/ingest/transactions`, { method: 'POST', headers: { expect: '100-continue', ...headers } });
        req.on('continue', () => {
          continued = true;
          req.end(body);
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, continued, text }));
        });
        req.on('error', reject);
        req.flushHeaders();
      });
    try {
      const body = JSON.stringify({ source: 's', records: [{ id: '1' }] });
      const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      const big = await ask({ ...auth, 'content-length': 5000 }, 'x'.repeat(5000));
      assert.deepEqual([big.status, big.continued], [413, false]);
      const noToken = await ask({ 'content-length': body.length }, body);
      assert.deepEqual([noToken.status, noToken.continued], [401, false]);
      const ok = await ask({ ...auth, 'content-length': body.length }, body);
      assert.deepEqual([ok.status, ok.continued], [200, true]);
      assert.equal(loads.length, 1);
    } finally {
      await server.close();
    }
  });

  test('malformed HTTP gets a JSON 400', async () => {
    const { server } = await fakeServer();
    try {
      const { port } = new URL(server.url);
      const reply = await new Promise<string>((resolve, reject) => {
        const socket: Socket = connect(Number(port), '127.0.0.1', () => socket.write('NONSENSE\r\n\r\n'));
        let text = '';
        socket.on('data', (c: Buffer) => (text += c.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      assert.match(reply, /^HTTP\/1\.1 400 /);
      assert.match(reply, /"code":"bad_request"/);
    } finally {
      await server.close();
    }
  });

  test('refuses to start without a token', async () => {
    await assert.rejects(startIngestServer({ warehouse: {} as Warehouse, token: '', port: 0 }), /token is required/);
  });
});

describe('ingest endpoint: the admission queue (issue 17, item 5)', () => {
  const records = (sender: number, n: number) => Array.from({ length: n }, (_, j) => ({ id: `s${sender}-r${j}` }));

  test('10 concurrent senders over 8 slots all succeed, with exact counts', async () => {
    const gate = new Gate();
    const { server, loads } = await fakeServer({ gate, maxConcurrentRequests: 8 });
    try {
      // Sender i sends i + 1 records; all ten are in the endpoint (8 loading, 2 waiting) before any
      // load finishes — the burst that used to get 503s.
      const sent = Array.from({ length: 10 }, (_, i) => post(`${server.url}/v1/ingest/transactions`, { source: 's', records: records(i, i + 1) }));
      await until(() => server.queue().inFlight === 8 && server.queue().waiting === 2);
      gate.open();
      const answers = await Promise.all(sent);
      assert.deepEqual(answers.map((r) => r.status), Array(10).fill(200));
      const bodies = (await Promise.all(answers.map((r) => r.json()))) as BatchSummary[];
      assert.deepEqual(bodies.map((b) => b.loaded), Array.from({ length: 10 }, (_, i) => i + 1));
      assert.equal(loads.length, 10);
      const ids = loads.flatMap((l) => l.records.map((r) => (r as { id: string }).id)).sort();
      const expected = Array.from({ length: 10 }, (_, i) => records(i, i + 1).map((r) => r.id)).flat().sort();
      assert.equal(ids.length, 55);
      assert.deepEqual(ids, expected);
      assert.deepEqual(server.queue().inFlight + server.queue().waiting, 0);
    } finally {
      await server.close();
    }
  });

  test('a full queue (by count or by bytes) → 503 busy with Retry-After from the queue', async () => {
    const gate = new Gate();
    const { server, loads } = await fakeServer({ gate, maxConcurrentRequests: 1, maxQueuedRequests: 2, maxQueuedBytes: 1000 });
    const busyAnswer = async (res: Response) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), code: ((await res.json()) as { error: { code: string } }).error.code });
    try {
      const first = post(`${server.url}/v1/ingest/transactions`, { source: 's', records: [{ id: '1' }] });
      await gate.entered;
      const secondBody = JSON.stringify({ source: 's', records: [{ id: '2' }] });
      const second = post(`${server.url}/v1/ingest/transactions`, secondBody);
      await until(() => server.queue().waiting === 1);
      assert.equal(server.queue().waitingBytes, Buffer.byteLength(secondBody));

      // Room for one more request, but not for this one's bytes. Nothing measured yet, so each
      // request ahead counts 1 s: (1 loading + 1 waiting) × 1 s / 1 slot.
      const big = JSON.stringify({ source: 's', records: [{ id: '3', pad: 'x'.repeat(1000 - Buffer.byteLength(secondBody)) }] });
      assert.deepEqual(await busyAnswer(await post(`${server.url}/v1/ingest/transactions`, big)), { status: 503, retryAfter: '2', code: 'busy' });

      const fourth = post(`${server.url}/v1/ingest/transactions`, { source: 's', records: [{ id: '4' }] });
      await until(() => server.queue().waiting === 2);
      // Count bound: 1 loading + 2 waiting ahead → 3 s.
      assert.deepEqual(await busyAnswer(await post(`${server.url}/v1/ingest/transactions`, { source: 's', records: [{ id: '5' }] })), { status: 503, retryAfter: '3', code: 'busy' });

      gate.open();
      assert.deepEqual((await Promise.all([first, second, fourth])).map((r) => r.status), [200, 200, 200]);
      assert.deepEqual(loads.map((l) => (l.records[0] as { id: string }).id), ['1', '2', '4']);
    } finally {
      await server.close();
    }
  });

  test('a waiting request whose client disconnects leaves the queue and is never loaded', async () => {
    const gate = new Gate();
    const { server, loads } = await fakeServer({ gate, maxConcurrentRequests: 1 });
    try {
      const first = post(`${server.url}/v1/ingest/transactions`, { source: 's', records: [{ id: '1' }] });
      await gate.entered;
      const body = JSON.stringify({ source: 's', records: [{ id: 'gone' }] });
      const leaving = request(`${server.url}/v1/ingest/transactions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      const closed = new Promise<void>((resolve) => leaving.on('close', resolve));
      leaving.on('error', () => {}); // the hang-up below
      leaving.end(body);
      await until(() => server.queue().waiting === 1);
      leaving.destroy();
      await closed;
      await until(() => server.queue().waiting === 0);
      assert.equal(server.queue().waitingBytes, 0);
      assert.equal(server.queue().inFlight, 1);

      gate.open();
      assert.equal((await first).status, 200);
      const after = await post(`${server.url}/v1/ingest/transactions`, { source: 's', records: [{ id: '3' }] });
      assert.equal(after.status, 200);
      assert.deepEqual(loads.map((l) => (l.records[0] as { id: string }).id), ['1', '3']);
    } finally {
      await server.close();
    }
  });
});
