/**
 * The derived refresher's client (semantic/derived/background-client.ts): typed literals instead of
 * query parameters (so no refresh statement holds the embedded engine's process-wide parameter
 * lock), max_threads 1 on every call, and the statement left as it was when a value cannot be
 * rendered or the text would grow too long. Unit: a recording stand-in for the client, no engine
 * (test/semantic/derived-background.test.ts runs a refresh through it on the real engine).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClickHouseClient } from '@clickhouse/client';
import { backgroundClient, inlineParams, literalOf, MAX_INLINE_BYTES } from '../../semantic/derived/background-client.ts';

const cases: [string, unknown, string | undefined][] = [
  ['UInt64', 1765000000123, "CAST('1765000000123' AS UInt64)"],
  ['UInt64', '18446744073709551615', "CAST('18446744073709551615' AS UInt64)"],
  ['UInt32', 202412, "CAST('202412' AS UInt32)"],
  ['Int64', -5, "CAST('-5' AS Int64)"],
  ['UInt64', 1.5, undefined],
  ['UInt64', '1; DROP TABLE x', undefined],
  ['String', "O'Brien \\ x", "CAST('O\\'Brien \\\\ x' AS String)"],
  ['Date', '2024-12-31', "CAST('2024-12-31' AS Date)"],
  ['Date', "2024-12-31' OR 1", undefined],
  ['Array(String)', ['a', "b'c"], "CAST(['a','b\\'c'] AS Array(String))"],
  ['Array(String)', [], 'CAST([] AS Array(String))'],
  ['Array(String)', ['a', 1], undefined],
  ['Map(String, String)', {}, undefined],
];
for (const [type, value, want] of cases) {
  test(`literalOf(${type}, ${JSON.stringify(value)})`, () => {
    assert.equal(literalOf(type, value), want);
  });
}

test('inlineParams renders every placeholder it can and keeps the rest as parameters', () => {
  const q = 'SELECT {snapshot:UInt64}, x FROM t WHERE id IN {ids:Array(String)} AND m = {m:Map(String, String)} AND s = {snapshot:UInt64} AND {other:String} = 1';
  const out = inlineParams(q, { snapshot: 7, ids: ['a'], m: { k: 'v' } });
  assert.equal(
    out.query,
    "SELECT CAST('7' AS UInt64), x FROM t WHERE id IN CAST(['a'] AS Array(String)) AND m = {m:Map(String, String)} AND s = CAST('7' AS UInt64) AND {other:String} = 1",
  );
  // Only the one that could not be rendered is still sent; a placeholder without a value stays for the engine to refuse.
  assert.deepEqual(out.query_params, { m: { k: 'v' } });
});

test('inlineParams leaves a statement whose literals would pass MAX_INLINE_BYTES as it was', () => {
  const ids = Array.from({ length: Math.ceil(MAX_INLINE_BYTES / 10) }, (_, i) => `C${String(i).padStart(7, '0')}`);
  const q = 'SELECT count() FROM t WHERE id IN {ids:Array(String)}';
  assert.deepEqual(inlineParams(q, { ids }), { query: q, query_params: { ids } });
  const few = ids.slice(0, 3);
  assert.deepEqual(inlineParams(q, { ids: few }), { query: "SELECT count() FROM t WHERE id IN CAST(['C0000000','C0000001','C0000002'] AS Array(String))" });
});

test('backgroundClient sends every call with max_threads 1 (a caller setting of its own kept), parameters inlined and the background lane header', async () => {
  const calls: { method: string; params: Record<string, unknown> }[] = [];
  const record = (method: string) => async (params: Record<string, unknown>) => {
    calls.push({ method, params });
    return { method };
  };
  const fake = { query: record('query'), command: record('command'), exec: record('exec'), insert: record('insert'), close: async () => 'closed' } as unknown as ClickHouseClient;
  const bg = backgroundClient(fake);
  await bg.command({ query: 'INSERT INTO t SELECT {snapshot:UInt64}', query_params: { snapshot: 3 }, clickhouse_settings: { insert_distributed_sync: 1 } });
  await bg.query({ query: 'SELECT 1', format: 'JSONEachRow' });
  await bg.insert({ table: 't', values: [{ a: 1 }], format: 'JSONEachRow' });
  await bg.exec({ query: 'SELECT {d:Date}', query_params: { d: '2024-01-02' }, http_headers: { 'x-other': 'kept' } });
  assert.equal(await bg.close(), 'closed');
  const lane = { 'x-crm-lane': 'background' };
  assert.deepEqual(calls, [
    { method: 'command', params: { query: "INSERT INTO t SELECT CAST('3' AS UInt64)", clickhouse_settings: { max_threads: 1, insert_distributed_sync: 1 }, http_headers: lane } },
    { method: 'query', params: { query: 'SELECT 1', format: 'JSONEachRow', clickhouse_settings: { max_threads: 1 }, http_headers: lane } },
    { method: 'insert', params: { table: 't', values: [{ a: 1 }], format: 'JSONEachRow', clickhouse_settings: { max_threads: 1 }, http_headers: lane } },
    { method: 'exec', params: { query: "SELECT CAST('2024-01-02' AS Date)", clickhouse_settings: { max_threads: 1 }, http_headers: { 'x-other': 'kept', ...lane } } },
  ]);
});

test('backgroundClient with maxThreads 0 (a ClickHouse server) leaves the engine its own thread count, still inlining parameters', async () => {
  const calls: Record<string, unknown>[] = [];
  const fake = { command: async (params: Record<string, unknown>) => calls.push(params) } as unknown as ClickHouseClient;
  await backgroundClient(fake, { maxThreads: 0 }).command({ query: 'SELECT {n:UInt8}', query_params: { n: 7 } });
  await backgroundClient(fake, { maxThreads: 4 }).command({ query: 'SELECT 1' });
  const lane = { 'x-crm-lane': 'background' };
  assert.deepEqual(calls, [
    { query: "SELECT CAST('7' AS UInt8)", clickhouse_settings: {}, http_headers: lane },
    { query: 'SELECT 1', clickhouse_settings: { max_threads: 4 }, http_headers: lane },
  ]);
});
