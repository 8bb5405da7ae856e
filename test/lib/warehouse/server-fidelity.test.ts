import { ClickHouseError, createClient, isProgressRow, isRow, type ClickHouseClient } from '@clickhouse/client';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../alerts/manual-clock.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';

// Issue 19: where a client can tell the embedded endpoint from a ClickHouse 26.7 server. Every
// expectation here is the server's documented behaviour, not what the endpoint happened to do.

let tw: TestWarehouse;
/** HTTP sessions expire by this clock: the expiry test moves it instead of waiting. */
const clock = new ManualClock('2026-01-01T00:00:00Z');
const clients: ClickHouseClient[] = [];

function newClient(options: Parameters<typeof createClient>[0] = {}): ClickHouseClient {
  const c = createClient({
    url: tw.server.url,
    username: tw.config.user,
    password: tw.config.password,
    database: tw.config.database,
    log: { level: 127 as never },
    ...options,
  });
  clients.push(c);
  return c;
}

interface RawInit {
  body?: string;
  headers?: Record<string, string>;
  params?: Record<string, string>;
  user?: { user: string; password: string };
  signal?: AbortSignal;
}

/** A raw POST, for what the client hides (status codes, headers, the body as sent). */
function raw(query: string, init: RawInit = {}): Promise<Response> {
  const url = new URL(tw.server.url);
  url.searchParams.set('query', query);
  url.searchParams.set('database', tw.config.database);
  for (const [k, v] of Object.entries(init.params ?? {})) url.searchParams.set(k, v);
  const who = init.user ?? { user: tw.config.user, password: tw.config.password };
  return fetch(url, { method: 'POST', body: init.body, signal: init.signal, headers: { 'X-ClickHouse-User': who.user, 'X-ClickHouse-Key': who.password, ...init.headers } });
}

async function rejectsWith(promise: Promise<unknown>, code: string, type?: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ClickHouseError, `expected ClickHouseError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (type) assert.equal(error.type, type);
    return true;
  });
}

before(async () => {
  tw = await startTestWarehouse({ poolSize: 4, sessionClock: clock });
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await tw?.close();
});

describe('server defaults (ClickHouse 26.7)', () => {
  test('no setting differs from its server default', async () => {
    const client = newClient();
    const rs = await client.query({ query: 'SELECT name, value, default FROM system.settings WHERE value != default ORDER BY name', format: 'JSONEachRow' });
    assert.deepEqual(await rs.json(), []);
  });

  test('64-bit integers are JSON numbers (the default since 25.8); a request may ask for quotes', async () => {
    const client = newClient();
    const plain = await client.query({ query: 'SELECT toUInt64(42) AS big, toInt64(-7) AS neg', format: 'JSONEachRow' });
    assert.deepEqual(await plain.json(), [{ big: 42, neg: -7 }]);
    const quoted = await client.query({ query: 'SELECT toUInt64(42) AS big', format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 1 } });
    assert.deepEqual(await quoted.json(), [{ big: '42' }]);
  });

  test('DateTime input is parsed best effort (the default since 26.5); basic only when asked', async () => {
    const client = newClient();
    await client.command({ query: 'CREATE TABLE stamps_19 (at DateTime) ENGINE = Memory' });
    await client.insert({ table: 'stamps_19', values: [{ at: '2024-03-01T12:30:00Z' }], format: 'JSONEachRow' });
    assert.deepEqual(await (await client.query({ query: 'SELECT toString(at) AS at FROM stamps_19', format: 'JSONEachRow' })).json(), [{ at: '2024-03-01 12:30:00' }]);
    await rejectsWith(
      client.insert({ table: 'stamps_19', values: [{ at: '2024-03-01T12:30:00Z' }], format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'basic' } }),
      '27',
      'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
    );
  });

  test('introspection functions are off, as on a server', async () => {
    await rejectsWith(newClient().query({ query: 'SELECT demangle(\'_Z1fv\') AS f', format: 'JSONEachRow' }), '446', 'FUNCTION_NOT_ALLOWED');
  });
});

describe('errors after rows', () => {
  const failing = 'SELECT throwIf(number = 9) AS t FROM numbers(20) SETTINGS max_block_size = 1';

  test('the rows before the failure arrive with 200, the exception at the end in the tagged form', async () => {
    const res = await raw(failing, { params: { default_format: 'TSV' } });
    assert.equal(res.status, 200);
    const tag = res.headers.get('x-clickhouse-exception-tag');
    assert.ok(tag);
    assert.equal(res.headers.get('x-clickhouse-exception-code'), null, 'headers went out before the failure');
    const body = await res.text();
    // A server sends all 9; chDB's block stream drops the blocks still queued when the error
    // comes (README), so: some complete rows, nothing but them, then the exception.
    const rows = /^((?:0\n)+)\r\n__exception__/.exec(body)?.[1];
    assert.ok(rows && rows.length / 2 <= 9, body);
    assert.match(body, new RegExp(`^(0\\n)+\\r\\n__exception__\\r\\n${tag}\\r\\nCode: 395\\. DB::Exception: .*FUNCTION_THROW_IF_VALUE_IS_NON_ZERO[^]*\\n\\d+ ${tag}\\r\\n__exception__\\r\\n$`));
  });

  test('@clickhouse/client gets the rows, then ClickHouseError 395', async () => {
    const rs = await newClient().query({ query: failing, format: 'JSONEachRow' });
    const rows: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const batch of rs.stream()) for (const row of batch) rows.push(row.json());
      })(),
      (error: unknown) => error instanceof ClickHouseError && error.code === '395',
    );
    assert.ok(rows.length > 0 && rows.length <= 9, `${rows.length} rows`);
    assert.deepEqual(rows, Array.from({ length: rows.length }, () => ({ t: 0 })));
  });

  test('with compression the tail is still parsed', async () => {
    const rs = await newClient({ compression: { response: true } }).query({ query: failing, format: 'JSONEachRow' });
    await assert.rejects(rs.json(), (error: unknown) => error instanceof ClickHouseError && error.code === '395');
  });

  test('wait_end_of_query=1 holds the rows back and answers a clean error status', async () => {
    const res = await raw(failing, { params: { wait_end_of_query: '1' } });
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('x-clickhouse-exception-code'), '395');
    assert.match(await res.text(), /^Code: 395\. DB::Exception: /);
  });

  test('a failure before the first row is an error status', async () => {
    const res = await raw('SELECT throwIf(number = 0) FROM numbers(3)');
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('x-clickhouse-exception-code'), '395');
  });
});

describe('HTTP sessions', () => {
  // The pool has 4 engine sessions, so 2 HTTP sessions may be open at once: every test closes its own.
  const close = (id: string, user?: RawInit['user']): Promise<Response> => raw('SELECT 1', { params: { session_id: id, close_session: '1' }, user });
  const text = async (res: Response): Promise<string> => {
    const body = await res.text();
    assert.equal(res.status, 200, body);
    return body;
  };

  test('SET and temporary tables carry over to the next request of the session, and only there', async () => {
    const s = newClient({ session_id: 'fidelity-1' });
    await s.command({ query: 'SET max_result_rows = 7' });
    await s.command({ query: 'CREATE TEMPORARY TABLE tmp_19 (x UInt8)' });
    await s.insert({ table: 'tmp_19', values: [{ x: 1 }, { x: 2 }], format: 'JSONEachRow' });
    assert.deepEqual(await (await s.query({ query: "SELECT sum(x) AS s, getSetting('max_result_rows') AS m FROM tmp_19", format: 'JSONEachRow' })).json(), [{ s: 3, m: 7 }]);
    // A per-request setting applies on top of the session's, for that request only.
    assert.deepEqual(await (await s.query({ query: "SELECT getSetting('max_result_rows') AS m", format: 'JSONEachRow', clickhouse_settings: { max_result_rows: '9' } })).json(), [{ m: 9 }]);
    assert.deepEqual(await (await s.query({ query: "SELECT getSetting('max_result_rows') AS m", format: 'JSONEachRow' })).json(), [{ m: 7 }]);
    // Without the session: neither exists.
    const outside = newClient();
    assert.deepEqual(await (await outside.query({ query: "SELECT getSetting('max_result_rows') AS m", format: 'JSONEachRow' })).json(), [{ m: 0 }]);
    await rejectsWith(outside.query({ query: 'SELECT * FROM tmp_19' }), '60', 'UNKNOWN_TABLE');
    await text(await close('fidelity-1'));
    // Closed: a new session of the same id starts empty.
    await rejectsWith(newClient({ session_id: 'fidelity-1' }).query({ query: 'SELECT * FROM tmp_19' }), '60', 'UNKNOWN_TABLE');
    await text(await close('fidelity-1'));
  });

  test('USE carries over in the session when a request names no database', async () => {
    assert.equal(await text(await raw('USE system', { params: { session_id: 'fidelity-use' } })), '');
    const url = new URL(tw.server.url);
    url.searchParams.set('session_id', 'fidelity-use');
    url.searchParams.set('query', 'SELECT currentDatabase()');
    const res = await fetch(url, { method: 'POST', headers: { 'X-ClickHouse-User': tw.config.user, 'X-ClickHouse-Key': tw.config.password } });
    assert.equal(await text(res), 'system\n');
    await text(await close('fidelity-use'));
  });

  test('session_check=1 on an unknown session is SESSION_NOT_FOUND (372, HTTP 500)', async () => {
    const res = await raw('SELECT 1', { params: { session_id: 'never-opened', session_check: '1' } });
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('x-clickhouse-exception-code'), '372');
    assert.match(await res.text(), /^Code: 372\. DB::Exception: Session never-opened not found\. \(SESSION_NOT_FOUND\)/);
    await rejectsWith(newClient({ session_id: 'never-opened-2' }).query({ query: 'SELECT 1', clickhouse_settings: { session_check: 1 } as never }), '372', 'SESSION_NOT_FOUND');
  });

  test('a session in use answers SESSION_IS_LOCKED (373) to a concurrent request', async () => {
    const slow = raw('SELECT sleep(1)', { params: { session_id: 'fidelity-lock' } });
    // The second request goes once the first holds the session (the endpoint's own state, not a guess
    // at how long that takes); the first's answer arriving before then fails the test instead.
    await Promise.race([
      tw.server.whenStats((s) => s.httpSessions.busy === 1),
      slow.then(() => assert.fail('SELECT sleep(1) was answered before its session was seen in use')),
    ]);
    const second = await raw('SELECT 1', { params: { session_id: 'fidelity-lock' } });
    assert.equal(second.status, 500);
    assert.equal(second.headers.get('x-clickhouse-exception-code'), '373');
    assert.match(await second.text(), /Session fidelity-lock is locked by a concurrent client\. \(SESSION_IS_LOCKED\)/);
    assert.equal(await text(await slow), '0\n');
    await text(await close('fidelity-lock'));
  });

  test('session_timeout: default 60 s, at most 3600, a number; the session expires after it', async () => {
    for (const bad of ['3601', 'abc', '-1']) {
      const res = await raw('SELECT 1', { params: { session_id: 'fidelity-timeout', session_timeout: bad } });
      assert.equal(res.status, 500, bad);
      assert.equal(res.headers.get('x-clickhouse-exception-code'), '374', bad);
    }
    await text(await raw('CREATE TEMPORARY TABLE t_exp (x UInt8)', { params: { session_id: 'fidelity-exp', session_timeout: '1' } }));
    // The timeout counts from the end of the last request: the session is released just after its
    // answer is sent, so wait for that before moving the clock.
    await tw.server.whenStats((s) => s.httpSessions.busy === 0);
    clock.advance(999);
    assert.equal(await text(await raw('SELECT count() FROM t_exp', { params: { session_id: 'fidelity-exp', session_check: '1' } })), '0\n', 'alive 999 ms after');
    await tw.server.whenStats((s) => s.httpSessions.busy === 0);
    clock.advance(1000);
    const gone = await raw('SELECT 1', { params: { session_id: 'fidelity-exp', session_check: '1' } });
    assert.equal(gone.headers.get('x-clickhouse-exception-code'), '372');
  });

  test("a session belongs to its user: another user's request with the same id does not reach it", async () => {
    await text(await raw('CREATE TEMPORARY TABLE mine (x UInt8)', { params: { session_id: 'fidelity-owned' } }));
    const reader = { user: tw.users.reader.user, password: tw.users.reader.password };
    const checked = await raw('SELECT * FROM mine', { params: { session_id: 'fidelity-owned', session_check: '1' }, user: reader });
    assert.equal(checked.headers.get('x-clickhouse-exception-code'), '372');
    const own = await raw('SELECT * FROM mine', { params: { session_id: 'fidelity-owned', close_session: '1' }, user: reader });
    assert.equal(own.headers.get('x-clickhouse-exception-code'), '60', 'the reader got a session of its own, without the table');
    await text(await close('fidelity-owned'));
  });

  test('pinned sessions are bounded (half the pool); beyond, a clear error; other requests keep running', async () => {
    await text(await raw('SELECT 1', { params: { session_id: 'fidelity-a' } }));
    await text(await raw('SELECT 1', { params: { session_id: 'fidelity-b' } }));
    const third = await raw('SELECT 1', { params: { session_id: 'fidelity-c' } });
    assert.equal(third.headers.get('x-clickhouse-exception-code'), '290');
    assert.match(await third.text(), /Too many HTTP sessions.*close_session=1/);
    assert.equal(await text(await raw('SELECT 2')), '2\n');
    await text(await close('fidelity-a'));
    await text(await raw('SELECT 3', { params: { session_id: 'fidelity-c', close_session: '1' } }));
    await text(await close('fidelity-b'));
  });
});

describe('chDB hazards', () => {
  test('interactive_delay = 0 in the URL answers (chDB alone never finishes such a query)', async () => {
    const res = await raw('SELECT number FROM numbers(3)', { params: { interactive_delay: '0', default_format: 'JSONEachRowWithProgress' }, signal: AbortSignal.timeout(15_000) });
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.filter((l) => 'row' in l), [{ row: { number: 0 } }, { row: { number: 1 } }, { row: { number: 2 } }]);
    assert.ok(lines.some((l) => 'progress' in l));
  });

  test('a non-admin user may not set interactive_delay at all (it would hold an engine session for good)', async () => {
    const reader = { user: tw.users.reader.user, password: tw.users.reader.password };
    const res = await raw('SELECT 1 SETTINGS interactive_delay = 0', { user: reader });
    assert.equal(res.headers.get('x-clickhouse-exception-code'), '497');
  });
});

describe('JSONEachRowWithProgress', () => {
  // Documents, not fixes: the events are chDB's (README, "What still differs"); the endpoint passes them unchanged.
  test('meta, then rows with progress, totals and the final progress, readable with the client helpers', async () => {
    const rs = await newClient().query({
      query: 'SELECT number % 3 AS k, count() AS c FROM numbers(30) GROUP BY k WITH TOTALS ORDER BY k',
      format: 'JSONEachRowWithProgress',
    });
    const events = (await rs.json()) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(events[0]), ['meta']);
    assert.deepEqual(events.filter((e) => isRow(e)).map((e) => (e as { row: unknown }).row), [
      { k: 0, c: 10 },
      { k: 1, c: 10 },
      { k: 2, c: 10 },
    ]);
    const kinds = events.map((e) => Object.keys(e)[0]);
    assert.ok(kinds.indexOf('totals') > kinds.lastIndexOf('row'));
    const progress = events.filter((e) => isProgressRow(e));
    assert.ok(progress.length >= 1);
    assert.equal((progress.at(-1) as { progress: { read_rows: string } }).progress.read_rows, '30');
  });
});
