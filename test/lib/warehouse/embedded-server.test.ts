import { ClickHouseError, createClient, type ClickHouseClient } from '@clickhouse/client';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { startEmbeddedServer } from '../../../lib/warehouse/embedded/server.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';

let tw: TestWarehouse;
let client: ClickHouseClient;
const clients: ClickHouseClient[] = [];

function newClient(options: Parameters<typeof createClient>[0] = {}): ClickHouseClient {
  const c = createClient({
    url: tw.server.url,
    username: tw.config.user,
    password: tw.config.password,
    database: tw.config.database,
    // The failures below are on purpose; keep the client's own error log quiet.
    log: { level: 127 as never },
    ...options,
    // As the product's own client (lib/warehouse/index.ts) asks; the server default is 0 since 25.8.
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1, ...options.clickhouse_settings },
  });
  clients.push(c);
  return c;
}

/** A raw request, for what the client hides (status codes, headers, default format). */
function raw(query: string, init: { method?: string; body?: BodyInit; headers?: Record<string, string>; params?: Record<string, string> } = {}): Promise<Response> {
  const url = new URL(tw.server.url);
  url.searchParams.set('query', query);
  for (const [k, v] of Object.entries(init.params ?? {})) url.searchParams.set(k, v);
  return fetch(url, {
    method: init.method ?? 'POST',
    body: init.body,
    headers: { 'X-ClickHouse-User': tw.config.user, 'X-ClickHouse-Key': tw.config.password, ...init.headers },
  });
}

async function rejectsWith(promise: Promise<unknown>, code: string, type: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ClickHouseError, `expected ClickHouseError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.type, type);
    return true;
  });
}

before(async () => {
  tw = await startTestWarehouse();
  client = newClient();
  // The helper's own Warehouse is connected the way production code connects.
  await tw.warehouse.client.command({ query: 'CREATE TABLE events (id UInt64, name String, at Date, tags Array(String)) ENGINE = MergeTree ORDER BY id' });
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await tw?.close();
});

describe('queries through @clickhouse/client', () => {
  test('query parameters of several types bind exactly as sent', async () => {
    const rs = await client.query({
      query: 'SELECT {s:String} AS s, {n:UInt64} AS n, {d:Date} AS d, {a:Array(String)} AS a, {m:Nullable(String)} AS m',
      query_params: { s: "O'Brien\ttab\\slash\nline", n: 18446744073709551615n, d: '2024-02-29', a: ["q'uote", 'back\\slash'], m: null },
      format: 'JSONEachRow',
    });
    assert.deepEqual(await rs.json(), [
      { s: "O'Brien\ttab\\slash\nline", n: '18446744073709551615', d: '2024-02-29', a: ["q'uote", 'back\\slash'], m: null },
    ]);
  });

  test('long parameter lists fit in the URL, as on a real server', async () => {
    const ids = Array.from({ length: 20000 }, (_, i) => `customer-${i}`);
    const rs = await client.query({ query: 'SELECT length({ids:Array(String)}) AS n', query_params: { ids }, format: 'JSONEachRow' });
    assert.deepEqual(await rs.json(), [{ n: '20000' }]);
  });

  test('concurrent parameterized queries each get their own values', async () => {
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        client.query({ query: 'SELECT {i:UInt32} AS i, {s:String} AS s', query_params: { i, s: `v${i}` }, format: 'JSONEachRow' }).then((r) => r.json()),
      ),
    );
    assert.deepEqual(results, Array.from({ length: 16 }, (_, i) => [{ i, s: `v${i}` }]));
  });

  test('JSON carries meta; 64-bit integers are quoted when asked (server default since 25.8: not)', async () => {
    const rs = await client.query({ query: 'SELECT toUInt64(42) AS big, toInt32(7) AS small', format: 'JSON', clickhouse_settings: { output_format_json_quote_64bit_integers: 1 } });
    const json = await rs.json<{ big: string; small: number }>();
    assert.deepEqual(json.meta, [
      { name: 'big', type: 'UInt64' },
      { name: 'small', type: 'Int32' },
    ]);
    assert.deepEqual(json.data, [{ big: '42', small: 7 }]);
    const unquoted = await client.query({
      query: 'SELECT toUInt64(42) AS big',
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    assert.deepEqual(await unquoted.json(), [{ big: 42 }]);
  });

  test('CSV and JSONCompactEachRowWithNamesAndTypes come back as the engine writes them', async () => {
    const csv = await client.query({ query: "SELECT 1 AS a, 'x,y' AS b", format: 'CSVWithNames' });
    assert.equal(await csv.text(), '"a","b"\n1,"x,y"\n');
    const compact = await client.query({ query: 'SELECT number AS n FROM numbers(2)', format: 'JSONCompactEachRowWithNamesAndTypes' });
    assert.equal(compact.response_headers['x-clickhouse-format'], 'JSONCompactEachRowWithNamesAndTypes');
    assert.deepEqual(await compact.json(), [['n'], ['UInt64'], ['0'], ['1']]);
  });

  test('results larger than one block keep a single header and a single Parquet file', async () => {
    // 200k rows are several engine blocks; formats with a header must not repeat it per block.
    const csv = await (await client.query({ query: 'SELECT number AS n FROM numbers(200000)', format: 'CSVWithNames' })).text();
    const lines = csv.trimEnd().split('\n');
    assert.equal(lines.length, 200_001);
    assert.equal(lines.filter((l) => l === '"n"').length, 1);
    const json = await (await client.query({ query: 'SELECT number AS n FROM numbers(200000)', format: 'JSON' })).json<{ rows: number; data: unknown[] }>();
    assert.equal(json.rows, 200_000);
    assert.equal(json.data.length, 200_000);
    const parquet = Buffer.from(await (await client.exec({ query: 'SELECT number AS n FROM numbers(200000) FORMAT Parquet' })).stream.toArray().then((c) => Buffer.concat(c as Buffer[])));
    // One Parquet file: the magic appears at the start and the end, nowhere else.
    let magic = 0;
    for (let i = parquet.indexOf('PAR1'); i !== -1; i = parquet.indexOf('PAR1', i + 1)) magic++;
    assert.equal(magic, 2);
  });

  test('no FORMAT means TabSeparated, as ClickHouse answers', async () => {
    const res = await raw("SELECT 1 AS a, 'b\tc' AS s");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-clickhouse-format'), 'TabSeparated');
    assert.equal(await res.text(), '1\tb\\tc\n');
    const get = await fetch(`${tw.server.url}/?query=${encodeURIComponent('SELECT 2')}&user=${tw.config.user}&password=${encodeURIComponent(tw.config.password)}`);
    assert.equal(await get.text(), '2\n');
  });

  test('per-request settings apply to that request only', async () => {
    const limited = { max_result_rows: '2', result_overflow_mode: 'throw' } as const;
    await rejectsWith(client.query({ query: 'SELECT number FROM numbers(5)', format: 'JSONEachRow', clickhouse_settings: limited }), '396', 'TOO_MANY_ROWS_OR_BYTES');
    // More requests than sessions, so every session is checked after the limited one.
    for (let i = 0; i < 4; i++) {
      const rs = await client.query({ query: "SELECT getSetting('max_result_rows') AS m, count() AS c FROM numbers(5)", format: 'JSONEachRow' });
      assert.deepEqual(await rs.json(), [{ m: 0, c: '5' }]);
    }
    const again = await client.query({ query: "SELECT getSetting('max_result_rows') AS m", format: 'JSONEachRow', clickhouse_settings: limited });
    assert.deepEqual(await again.json(), [{ m: 2 }]);
  });

  test('an unknown setting fails its own request only', async () => {
    await rejectsWith(client.query({ query: 'SELECT 1', clickhouse_settings: { no_such_setting: 1 } as never }), '115', 'UNKNOWN_SETTING');
    for (let i = 0; i < 3; i++) assert.deepEqual(await (await client.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' })).json(), [{ one: 1 }]);
  });

  test('max_execution_time is enforced by the engine', async () => {
    await rejectsWith(
      client.query({ query: 'SELECT count() FROM numbers(1000000000000)', clickhouse_settings: { max_execution_time: 1 } }),
      '159',
      'TIMEOUT_EXCEEDED',
    );
  });

  test('query parameters sent as multipart form fields', async () => {
    const multipart = newClient({ use_multipart_params: true });
    const rs = await multipart.query({ query: 'SELECT {name:String} AS name, {ids:Array(UInt32)} AS ids', query_params: { name: "D'Arcy", ids: [1, 2] }, format: 'JSONEachRow' });
    assert.deepEqual(await rs.json(), [{ name: "D'Arcy", ids: [1, 2] }]);
  });

  test('a SET statement does not leak into later requests', async () => {
    await client.command({ query: 'SET max_result_rows = 3' });
    for (let i = 0; i < 4; i++) {
      const rs = await client.query({ query: "SELECT getSetting('max_result_rows') AS m", format: 'JSONEachRow' });
      assert.deepEqual(await rs.json(), [{ m: 0 }]);
    }
  });

  test('the database URL parameter selects the current database per request', async () => {
    const other = newClient({ database: 'system' });
    assert.deepEqual(await (await other.query({ query: 'SELECT currentDatabase() AS d', format: 'JSONEachRow' })).json(), [{ d: 'system' }]);
    assert.deepEqual(await (await client.query({ query: 'SELECT currentDatabase() AS d', format: 'JSONEachRow' })).json(), [{ d: tw.config.database }]);
    await rejectsWith(newClient({ database: 'missing_db' }).query({ query: 'SELECT 1' }), '81', 'UNKNOWN_DATABASE');
  });

  test('a large result streams through intact', async () => {
    const rs = await client.query({ query: "SELECT number, repeat('x', 500) AS pad FROM numbers(40000)", format: 'JSONCompactEachRow' });
    let rows = 0;
    let last: unknown;
    for await (const batch of rs.stream()) {
      for (const row of batch) {
        last = row.json();
        rows++;
      }
    }
    assert.equal(rows, 40000);
    assert.deepEqual(last, ['39999', 'x'.repeat(500)]);
  });

  test('an error after streaming began reaches the client as ClickHouseError', async () => {
    const rs = await client.query({
      query: "SELECT throwIf(number = 15000, 'boom') AS t, repeat('x', 2000) AS pad FROM numbers(20000) SETTINGS max_block_size = 1000",
      format: 'JSONEachRow',
    });
    assert.equal(rs.response_headers['x-clickhouse-exception-code'], undefined, 'the error must come after the headers');
    let rows = 0;
    await assert.rejects(
      (async () => {
        for await (const batch of rs.stream()) rows += batch.length;
      })(),
      (error: unknown) => error instanceof ClickHouseError && error.code === '395' && /boom/.test(error.message),
    );
    assert.ok(rows > 0);
  });

  // chdb hands what a failed statement had already formatted to the Session's next statement, as the
  // start of its result: without the endpoint's clean-up, the next request (anyone's) got a 3 MB JSON
  // of the failed query's rows in front of its own answer.
  for (const pinned of [false, true]) {
    test(`a statement that fails after formatting rows leaves nothing for the next request${pinned ? ' in the same HTTP session' : ''}`, async () => {
      const params: Record<string, string> = pinned ? { session_id: 'leftover-check' } : {};
      const failed = await raw("SELECT number, toDate(if(number = 70000, 'zzz', '2020-01-01')) AS d FROM numbers(100000) FORMAT JSON", { params });
      assert.equal(failed.status, 400);
      assert.match(await failed.text(), /Cannot parse/);
      // More requests than the pool has Sessions, one after the other, so the failed one's Session serves one of them.
      for (let i = 0; i < 4; i++) {
        const r = await raw(`SELECT 'after-${i}' FORMAT TabSeparated`, { params });
        assert.equal(r.status, 200);
        assert.equal(await r.text(), `after-${i}\n`);
      }
    });
  }

  // The clean-up is a throwaway statement, not a new Session (35–45 ms of the event loop each): it
  // must take every whole-result format's leftover, and a failure after streamed output must leave
  // nothing either. Each failure is followed by more requests than the pool has Sessions, so the
  // failed one's Session serves one of them.
  const failing = (format: string): string => `SELECT number, toDate(if(number = 70000, 'zzz', '2020-01-01')) AS d FROM numbers(100000) FORMAT ${format}`;
  const cases: [string, string][] = [
    ...['JSONCompact', 'Pretty', 'XML', 'CSVWithNames', 'TSVWithNames', 'Parquet', 'Markdown', 'JSONColumns', 'Vertical'].map((f): [string, string] => [f, failing(f)]),
    ['a streamed format after partial output', "SELECT throwIf(number = 15000, 'boom') AS t, repeat('x', 2000) AS pad FROM numbers(20000) SETTINGS max_block_size = 1000 FORMAT JSONEachRow"],
  ];
  for (const [name, query] of cases) {
    test(`a failure after formatting rows leaves nothing for the next request: ${name}`, async () => {
      for (const pinned of [false, true]) {
        const params: Record<string, string> = pinned ? { session_id: 'leftover-check' } : {};
        const failed = await raw(query, { params });
        const body = await failed.text();
        assert.ok(failed.status === 400 || /Code: (38|395)/.test(body), `${name}: the statement must fail (${failed.status} ${body.slice(0, 300)})`);
        for (let i = 0; i < 5; i++) {
          const r = await raw(`SELECT 'after-${i}' FORMAT TabSeparated`, { params });
          assert.equal(r.status, 200);
          assert.equal(await r.text(), `after-${i}\n`, `${name}${pinned ? ' (HTTP session)' : ''}: request ${i} after the failure`);
        }
        // The HTTP session kept its state: the clean-up did not close it.
        if (pinned) assert.equal((await raw('SELECT 1 FORMAT TabSeparated', { params: { ...params, session_check: '1', close_session: '1' } })).status, 200);
      }
    });
  }
});

describe('inserts and commands', () => {
  test('JSONEachRow values, summary counts the rows written', async () => {
    const r = await client.insert({
      table: 'events',
      values: [
        { id: 1, name: 'a', at: '2024-01-01', tags: ['x'] },
        { id: 2, name: 'b', at: '2024-01-02', tags: [] },
      ],
      format: 'JSONEachRow',
    });
    assert.equal(r.summary?.written_rows, '2');
    assert.ok(r.query_id);
  });

  test('TabSeparated from a stream, and JSONEachRow from a stream', async () => {
    await client.insert({ table: 'events', values: Readable.from(['3\tc\t2024-01-03\t[]\n4\t', 'd\t2024-01-04\t[\'y\']\n'], { objectMode: false }), format: 'TabSeparated' });
    await client.insert({ table: 'events', values: Readable.from([{ id: 5, name: 'e', at: '2024-01-05', tags: [] }]), format: 'JSONEachRow' });
    const rs = await client.query({ query: 'SELECT id, name, tags FROM events WHERE id >= 3 ORDER BY id', format: 'JSONCompactEachRow' });
    assert.deepEqual(await rs.json(), [
      ['3', 'c', []],
      ['4', 'd', ['y']],
      ['5', 'e', []],
    ]);
  });

  test('input settings apply to the INSERT data; defaults are the server defaults', async () => {
    await client.command({ query: 'CREATE TABLE stamps (at DateTime) ENGINE = Memory' });
    const iso = [{ at: '2024-03-01T12:30:00Z' }];
    // clickhouse-server 26.5+ parses DateTime input best effort unless told otherwise; so does this endpoint.
    await rejectsWith(client.insert({ table: 'stamps', values: iso, format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'basic' } }), '27', 'CANNOT_PARSE_INPUT_ASSERTION_FAILED');
    await client.insert({ table: 'stamps', values: iso, format: 'JSONEachRow' });
    assert.deepEqual(await (await client.query({ query: 'SELECT toString(at) AS at FROM stamps', format: 'JSONEachRow' })).json(), [{ at: '2024-03-01 12:30:00' }]);
  });

  test('a bad row fails the insert with the parse error code', async () => {
    await rejectsWith(client.insert({ table: 'events', values: Readable.from(['6\tf\tnot-a-date\t[]\n'], { objectMode: false }), format: 'TabSeparated' }), '38', 'CANNOT_PARSE_DATE');
  });

  test('a body over 1 MiB (spooled through a file) lands whole, with its settings; a bad row fails it and leaves no spool file', async () => {
    await client.command({ query: 'CREATE TABLE bulk (id UInt32, name String, at DateTime, note String DEFAULT \'d\') ENGINE = MergeTree ORDER BY id' });
    const rows = 60_000;
    const body = (bad: boolean): string =>
      Array.from({ length: rows }, (_, i) => `${i}\tname\\t${i} '"\t${bad && i === rows - 1 ? 'not-a-date' : '2024-03-01T12:30:00Z'}\n`).join('');
    assert.ok(body(false).length > 1 << 20);
    const settings = { date_time_input_format: 'best_effort' } as const;
    const r = await client.insert({ table: 'bulk', columns: ['id', 'name', 'at'], values: Readable.from([body(false)], { objectMode: false }), format: 'TabSeparated', clickhouse_settings: settings });
    assert.equal(r.summary?.written_rows, String(rows));
    const rs = await client.query({ query: 'SELECT count() AS n, sum(id) AS s, any(toString(at)) AS at, anyIf(name, id = 7) AS name, any(note) AS note FROM bulk', format: 'JSONEachRow' });
    assert.deepEqual(await rs.json(), [{ n: String(rows), s: String((rows * (rows - 1)) / 2), at: '2024-03-01 12:30:00', name: "name\t7 '\"", note: 'd' }]);
    await assert.rejects(client.insert({ table: 'bulk', columns: ['id', 'name', 'at'], values: Readable.from([body(true)], { objectMode: false }), format: 'TabSeparated', clickhouse_settings: settings }), ClickHouseError);
    assert.deepEqual(readdirSync(join(tw.dir, 'insert-spool')), []);
  });

  test('command runs DDL; exec returns output', async () => {
    await client.command({ query: 'CREATE TABLE scratch (a UInt8) ENGINE = Memory' });
    await client.command({ query: 'INSERT INTO scratch SELECT number FROM numbers(3)' });
    const r = await client.exec({ query: 'SELECT sum(a) FROM scratch FORMAT TSV' });
    assert.equal(await new Response(Readable.toWeb(r.stream) as ReadableStream).text(), '3\n');
    await client.command({ query: 'DROP TABLE scratch' });
    await rejectsWith(client.query({ query: 'SELECT * FROM scratch' }), '60', 'UNKNOWN_TABLE');
  });

  test('INSERT data in the body after a statement in the body', async () => {
    const res = await raw('', { body: 'INSERT INTO events (id, name, at, tags) FORMAT CSV\n7,"g\nh",2024-01-07,[]\n', params: { database: tw.config.database } });
    assert.equal(res.status, 200, await res.clone().text());
    const rs = await client.query({ query: 'SELECT name FROM events WHERE id = 7', format: 'JSONEachRow' });
    assert.deepEqual(await rs.json(), [{ name: 'g\nh' }]);
  });
});

describe('protocol details', () => {
  test('gzip both ways with the client', async () => {
    const gz = newClient({ compression: { request: true, response: true } });
    await gz.insert({ table: 'events', values: [{ id: 10, name: 'zipped', at: '2024-02-01', tags: [] }], format: 'JSONEachRow' });
    const rs = await gz.query({ query: 'SELECT name FROM events WHERE id = 10', format: 'JSONEachRow' });
    assert.equal(rs.response_headers['content-encoding'], 'gzip');
    assert.deepEqual(await rs.json(), [{ name: 'zipped' }]);
  });

  test('gzip both ways on the wire', async () => {
    const res = await raw('', {
      body: gzipSync('SELECT 40 + 2'),
      headers: { 'Content-Encoding': 'gzip', 'Accept-Encoding': 'gzip' },
      params: { enable_http_compression: '1' },
    });
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    // fetch decodes gzip itself; decoding again proves the bytes were really compressed.
    assert.equal(await res.text(), '42\n');
    const bad = await raw('', { body: 'not gzip', headers: { 'Content-Encoding': 'gzip' } });
    assert.equal(bad.headers.get('x-clickhouse-exception-code'), '354');
    void gunzipSync;
  });

  test('query id, format, timezone, display name and summary headers', async () => {
    const rs = await client.query({ query: 'SELECT number FROM numbers(10)', format: 'JSONEachRow', query_id: 'my-query-1' });
    await rs.json();
    const h = rs.response_headers;
    assert.equal(h['x-clickhouse-query-id'], 'my-query-1');
    assert.equal(h['x-clickhouse-format'], 'JSONEachRow');
    assert.equal(h['x-clickhouse-timezone'], 'Etc/UTC');
    assert.ok(h['x-clickhouse-server-display-name']);
    const summary = JSON.parse(String(h['x-clickhouse-summary'])) as Record<string, string>;
    assert.equal(summary.result_rows, '10');
    const c = await client.command({ query: 'INSERT INTO events SELECT 100 + number, toString(number), today(), [] FROM numbers(5)' });
    assert.ok(c.summary);
  });

  test('syntax, unknown table and unknown identifier errors keep their codes and statuses', async () => {
    // Not `SELEC 1`: clickhouse-js takes the first upper-case word in parentheses as the type,
    // and the message names the failing token, `(SELEC)`.
    await rejectsWith(client.query({ query: 'SELECT (1' }), '62', 'SYNTAX_ERROR');
    await rejectsWith(client.query({ query: 'SELECT * FROM no_such_table' }), '60', 'UNKNOWN_TABLE');
    await rejectsWith(client.query({ query: 'SELECT no_such_column' }), '47', 'UNKNOWN_IDENTIFIER');
    const res = await raw('SELECT * FROM no_such_table');
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('x-clickhouse-exception-code'), '60');
    assert.match(await res.text(), /^Code: 60\. DB::Exception: .*\(UNKNOWN_TABLE\)/);
    assert.equal((await raw('SELEC 1')).status, 400);
  });

  test('multi-statements are refused like ClickHouse does', async () => {
    await rejectsWith(client.command({ query: 'SELECT 1; DROP TABLE events' }), '62', 'SYNTAX_ERROR');
    assert.deepEqual(await (await client.query({ query: 'SELECT count() > 0 AS ok FROM events', format: 'JSONEachRow' })).json(), [{ ok: 1 }]);
  });

  test('GET is readonly, and readonly=1 refuses writes', async () => {
    const get = await fetch(`${tw.server.url}/?query=${encodeURIComponent('DROP TABLE events')}`, { headers: { 'X-ClickHouse-User': tw.config.user, 'X-ClickHouse-Key': tw.config.password } });
    assert.equal(get.headers.get('x-clickhouse-exception-code'), '164');
    await rejectsWith(client.command({ query: 'CREATE TABLE ro (a UInt8) ENGINE = Memory', clickhouse_settings: { readonly: '1' } }), '164', 'READONLY');
    const rs = await client.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow', clickhouse_settings: { readonly: '1' } });
    assert.deepEqual(await rs.json(), [{ one: 1 }]);
  });

  test('an empty query is a syntax error', async () => {
    const res = await raw('');
    assert.equal(res.status, 400);
    assert.match(await res.text(), /^Code: 62\. DB::Exception: Empty query/);
  });

  test('ping and the root answer Ok. without credentials', async () => {
    for (const path of ['/ping', '/']) {
      const res = await fetch(tw.server.url + path);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'Ok.\n');
    }
    assert.deepEqual(await client.ping(), { success: true });
  });
});

describe('authentication', () => {
  test('a wrong password is refused with code 516 and HTTP 403', async () => {
    await rejectsWith(newClient({ password: 'wrong' }).query({ query: 'SELECT 1' }), '516', 'AUTHENTICATION_FAILED');
    const res = await raw('SELECT 1', { headers: { 'X-ClickHouse-Key': 'wrong' } });
    assert.equal(res.status, 403);
    assert.doesNotMatch(await res.text(), new RegExp(tw.config.password));
  });

  test('no password, or no credentials at all, is refused', async () => {
    await rejectsWith(newClient({ password: '' }).query({ query: 'SELECT 1' }), '516', 'AUTHENTICATION_FAILED');
    const res = await fetch(`${tw.server.url}/?query=SELECT%201`, { method: 'POST' });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get('x-clickhouse-exception-code'), '516');
  });

  test('credentials in URL parameters and Basic auth are accepted; mixing two ways is not', async () => {
    const url = `${tw.server.url}/?query=SELECT%201&user=${tw.config.user}&password=${encodeURIComponent(tw.config.password)}`;
    assert.equal(await (await fetch(url, { method: 'POST' })).text(), '1\n');
    const basic = `Basic ${Buffer.from(`${tw.config.user}:${tw.config.password}`).toString('base64')}`;
    assert.equal(await (await fetch(`${tw.server.url}/?query=SELECT%202`, { method: 'POST', headers: { Authorization: basic } })).text(), '2\n');
    const mixed = await fetch(url, { method: 'POST', headers: { Authorization: basic } });
    assert.equal(mixed.headers.get('x-clickhouse-exception-code'), '516');
  });
});

describe('Cube ClickHouse driver 1.7.43 traffic', () => {
  // What @cubejs-backend/clickhouse-driver sends (it wraps @clickhouse/client): fixed settings,
  // values inlined by the driver, a ping before each query, JSON for queries,
  // JSONCompactEachRowWithNamesAndTypes for streams, both checked against X-ClickHouse-Format.
  test('queries, streams and cancels as the driver does', async () => {
    const cube = newClient({
      clickhouse_settings: { send_progress_in_http_headers: 0, join_use_nulls: 1, date_time_output_format: 'simple' },
      compression: { request: true, response: true },
      max_open_connections: 10,
    });
    assert.equal((await cube.ping()).success, true);
    const rs = await cube.query({ query: "SELECT name, count() AS c FROM events WHERE name = 'a' GROUP BY name", format: 'JSON', query_id: 'cube-1' });
    assert.equal(rs.response_headers['x-clickhouse-format'], 'JSON');
    const json = await rs.json<{ name: string; c: string }>();
    assert.deepEqual(json.data, [{ name: 'a', c: '1' }]);
    const joined = await cube.query({ query: 'SELECT b.x FROM (SELECT 1 AS k) a LEFT JOIN (SELECT 2 AS k, 5 AS x) b ON a.k = b.k', format: 'JSONEachRow' });
    assert.deepEqual(await joined.json(), [{ x: null }], 'join_use_nulls applied');
    const stream = await cube.query({ query: 'SELECT id FROM events ORDER BY id LIMIT 2', format: 'JSONCompactEachRowWithNamesAndTypes' });
    assert.equal(stream.response_headers['x-clickhouse-format'], 'JSONCompactEachRowWithNamesAndTypes');
    assert.deepEqual(await stream.json(), [['id'], ['UInt64'], ['1'], ['2']]);
    await cube.command({ query: "KILL QUERY WHERE query_id = 'cube-1'" });
    // The driver's settings stayed with its requests.
    const plain = await client.query({ query: "SELECT getSetting('join_use_nulls') AS j", format: 'JSONEachRow' });
    assert.deepEqual(await plain.json(), [{ j: false }]);
  });
});

describe('concurrency', () => {
  test('two slow queries run side by side on the pool', async () => {
    // Both hold an engine Session at the same moment (the pool's high-water mark), rather than a
    // wall-clock bound: a query of 1.2 s leaves the second request ample time to arrive while the
    // first runs, however loaded the machine.
    const slow = 'SELECT sum(sleepEachRow(0.4)) FROM numbers(3) SETTINGS max_block_size = 1';
    // A Session goes back to the pool just after its response is sent: start from an idle pool.
    await tw.server.whenStats((s) => s.pool.busy === 0);
    tw.server.resetPeak();
    await Promise.all([client.query({ query: slow }).then((r) => r.text()), client.query({ query: slow }).then((r) => r.text())]);
    assert.equal(tw.server.stats().pool.peakBusy, 2, 'both queries were running at once');
  });

  test('one query after the other holds one Session at a time (what the check above tells apart)', async () => {
    await tw.server.whenStats((s) => s.pool.busy === 0);
    tw.server.resetPeak();
    for (let i = 0; i < 2; i++) {
      await (await client.query({ query: 'SELECT 1' })).text();
      await tw.server.whenStats((s) => s.pool.busy === 0);
    }
    assert.equal(tw.server.stats().pool.peakBusy, 1);
  });

  test('more requests than sessions wait their turn', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => client.query({ query: `SELECT ${i} AS i`, format: 'JSONEachRow' }).then((r) => r.json())));
    assert.deepEqual(results, Array.from({ length: 12 }, (_, i) => [{ i }]));
  });
});

describe('binding', () => {
  test('only loopback hosts are accepted without allowRemote', async () => {
    await assert.rejects(
      startEmbeddedServer({ dataDir: tw.dir, host: '0.0.0.0', port: 0, user: 'u', password: 'p' }),
      /loopback only unless allowRemote/,
    );
  });
});

describe('answers like clickhouse-server where chdb differs', () => {
  test('a bare word is a syntax error (implicit_select = 0), not an unknown identifier', async () => {
    const res = await raw('invalid');
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-clickhouse-exception-code'), '62');
    assert.match(await res.text(), /\(SYNTAX_ERROR\)/);
    await rejectsWith(client.query({ query: 'invalid', format: 'JSONEachRow' }), '62', 'SYNTAX_ERROR');
  });

  test('error bodies are compressed when the client enabled HTTP compression', async () => {
    const res = await raw('SELECT throwIf(1)', { params: { enable_http_compression: '1' }, headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    // fetch undoes the gzip: the body must still be the exception text.
    assert.match(await res.text(), /^Code: 395\. DB::Exception: .*FUNCTION_THROW_IF_VALUE_IS_NON_ZERO/);
    const compressing = newClient({ compression: { response: true } });
    await rejectsWith(compressing.query({ query: 'SELECT throwIf(1)', format: 'JSONEachRow' }), '395', 'FUNCTION_THROW_IF_VALUE_IS_NON_ZERO');
    const plain = await raw('SELECT throwIf(1)', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(plain.headers.get('content-encoding'), null);
  });
});
