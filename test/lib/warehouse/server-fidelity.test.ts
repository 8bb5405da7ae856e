import { ClickHouseError, createClient, type ClickHouseClient } from '@clickhouse/client';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';

// Issue 19: where a client can tell the embedded endpoint from a ClickHouse 26.7 server. Every
// expectation here is the server's documented behaviour, not what the endpoint happened to do.

let tw: TestWarehouse;
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
}

/** A raw POST, for what the client hides (status codes, headers, the body as sent). */
function raw(query: string, init: RawInit = {}): Promise<Response> {
  const url = new URL(tw.server.url);
  url.searchParams.set('query', query);
  url.searchParams.set('database', tw.config.database);
  for (const [k, v] of Object.entries(init.params ?? {})) url.searchParams.set(k, v);
  const who = init.user ?? { user: tw.config.user, password: tw.config.password };
  return fetch(url, { method: 'POST', body: init.body, headers: { 'X-ClickHouse-User': who.user, 'X-ClickHouse-Key': who.password, ...init.headers } });
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
  tw = await startTestWarehouse({ poolSize: 4 });
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
