/**
 * lib/warehouse/inline-params.ts: the client the HTTP ingest talks through sends its values as typed
 * literals, so none of its statements takes the embedded engine's parameter lock; values that
 * cannot be rendered stay parameters. Unit: a recording stand-in for the client, no engine
 * (test/ingest/http-connections.test.ts pushes through it on the real engine; the renderer's
 * cases are in test/semantic/derived-background-client.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClickHouseClient } from '@clickhouse/client';
import { inliningClient, literalOf } from '../../../lib/warehouse/inline-params.ts';

test('a NUL in a string is written as an escape, so no byte of a value ends the statement text', () => {
  assert.equal(literalOf('String', 'a\0b'), "CAST('a\\0b' AS String)");
  assert.equal(literalOf('Array(String)', ["x\0'"]), "CAST(['x\\0\\''] AS Array(String))");
});

test('inliningClient sends query, command and exec with their values inlined, and passes the rest through', async () => {
  const calls: { method: string; params: Record<string, unknown> }[] = [];
  const record = (method: string) => async (params: Record<string, unknown>) => {
    calls.push({ method, params });
    return { method };
  };
  const stub = {
    query: record('query'),
    command: record('command'),
    exec: record('exec'),
    insert: record('insert'),
    close: async () => 'closed',
  };
  const client = inliningClient(stub as unknown as ClickHouseClient);

  await client.query({
    query: 'SELECT * FROM t WHERE k = {key:String} AND m = {m:Map(String, String)}',
    query_params: { key: "it's", m: { a: 'b' } },
    format: 'JSONEachRow',
  });
  await client.command({ query: 'DROP TABLE IF EXISTS {t:Identifier}', query_params: { t: 'x' } });
  await client.exec({ query: 'SELECT {n:UInt32}', query_params: { n: 7 } });
  await client.insert({ table: 't', values: [{ a: 1 }], format: 'JSONEachRow' });
  assert.equal(await client.close(), 'closed');

  assert.deepEqual(calls, [
    // The map cannot be rendered: it stays a parameter (and takes the lock), the string does not.
    {
      method: 'query',
      params: {
        query: "SELECT * FROM t WHERE k = CAST('it\\'s' AS String) AND m = {m:Map(String, String)}",
        query_params: { m: { a: 'b' } },
        format: 'JSONEachRow',
      },
    },
    // Identifier is not a value type the renderer knows: left as it was.
    { method: 'command', params: { query: 'DROP TABLE IF EXISTS {t:Identifier}', query_params: { t: 'x' } } },
    { method: 'exec', params: { query: "SELECT CAST('7' AS UInt32)" } },
    { method: 'insert', params: { table: 't', values: [{ a: 1 }], format: 'JSONEachRow' } },
  ]);
});
