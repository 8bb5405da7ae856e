import { createClient, type ClickHouseClient } from '@clickhouse/client';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

/**
 * Fifth security review: the reader is the warehouse user people hold (analysts' notebooks, a BI
 * tool), and its statements ran in the embedded endpoint's product lane — ahead of Cube's queries
 * and on the session kept for the product's own statements (every page view's session check). Four
 * heavy reader queries took all four engine sessions and the dashboard waited behind them; a
 * reader query that its client gave up on runs on in the engine (test/security/abandoned-queries).
 * Now the reader waits in the analytic lane with Cube: it never holds the reserved session.
 *
 * With 2 engine sessions and 1 reserved. States are waited for through server.stats(), never by
 * time: the "slow" queries run until this test cancels them.
 */

let tw: TestWarehouse;
const clients: ClickHouseClient[] = [];

function clientAs(user: string, password: string): ClickHouseClient {
  const c = createClient({ url: tw.server.url, username: user, password, database: tw.config.database, log: { level: 127 as never } });
  clients.push(c);
  return c;
}

/** Runs until cancelled (~60 s of 0.5 s blocks), streamed, so aborting the request stops it. */
const ENDLESS = 'SELECT sleepEachRow(0.5) AS s FROM numbers(120) SETTINGS max_block_size = 1';

function endless(c: ClickHouseClient): { stop(): Promise<void> } {
  const abort = new AbortController();
  let result: { close(): void } | undefined;
  const done = c
    .query({ query: ENDLESS, format: 'JSONEachRow', abort_signal: abort.signal })
    .then((rs) => {
      result = rs;
      return rs.text();
    })
    .catch(() => undefined);
  return {
    async stop() {
      abort.abort();
      result?.close();
      await done;
    },
  };
}

before(async () => {
  tw = await startTestWarehouse({ poolSize: 2, reservedSessions: 1 });
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await tw.close();
});

/** Reached in milliseconds when the reader is in the analytic lane; the bound turns a wrong lane into a failure, not a hang. */
const until = (ready: Parameters<TestWarehouse['server']['whenStats']>[0]) => tw.server.whenStats(ready, AbortSignal.timeout(30_000));

test("a reader's queries never take the session kept for the product's statements", { timeout: 120_000 }, async () => {
  await until((s) => s.pool.busy === 0 && s.pool.queued === 0);
  const reader = clientAs(tw.users.reader.user, tw.users.reader.password);
  const first = endless(reader);
  await until((s) => s.pool.busy === 1);
  const second = endless(reader);
  // One session is idle, yet the reader's second query waits: that session is the product's.
  const waiting = await until((s) => s.pool.queued === 1);
  assert.equal(waiting.pool.busy, 1, "the reader's second query took the reserved session");
  const rs = await tw.warehouse.client.query({ query: 'SELECT 40 + 2 AS n', format: 'JSONEachRow' });
  assert.deepEqual(await rs.json(), [{ n: 42 }]);
  assert.equal(tw.server.stats().pool.queued, 1, "the reader's second query was still waiting");
  await first.stop();
  await second.stop();
});
