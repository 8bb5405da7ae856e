import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { writeTransactionsCsv } from '../../bench/ingest-generate.ts';
import { ingestFile } from '../../ingest/index.ts';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { one, otherDatabase, warehouseWithSchema } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ROWS = 200_000;

async function state(wh: Warehouse): Promise<Record<string, string>> {
  const db = wh.database;
  return one(
    wh,
    `SELECT
       (SELECT count() FROM ${db}.transactions) AS tx_raw,
       (SELECT count() FROM ${db}.transactions FINAL) AS tx_final,
       (SELECT toString(sum(cityHash64(source, transaction_id, order_id, customer_id, customer_ref, order_date, status, amount,
                original_amount, original_currency, quantity, product_id, product_name, category, channel, row_hash, version))) FROM ${db}.transactions) AS tx_sum,
       (SELECT count() FROM ${db}.identity_map) AS idmap_raw,
       (SELECT toString(sum(cityHash64(source, source_id, customer_id, rule))) FROM ${db}.identity_map) AS idmap_sum`,
  );
}

describe('a load killed with SIGKILL and run again equals a clean single load', () => {
  let tw: TestWarehouse;
  let dir: string;
  let file: string;
  before(async () => {
    tw = await warehouseWithSchema();
    dir = mkdtempSync(join(tmpdir(), 'ingest-crash-'));
    file = join(dir, 'transactions.csv');
    await writeTransactionsCsv(file, ROWS, 7);
  });
  after(async () => {
    await tw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kill -9 mid-load, re-run, compare with a clean load', { timeout: 600_000 }, async () => {
    // The CLI in its own process, against this test's endpoint (as with `npm start` running).
    const child = spawn(process.execPath, ['--import', 'tsx', 'ingest/cli.ts', 'transactions', file, '--batch-size', '10000', '--quiet'], {
      cwd: ROOT,
      env: {
        ...process.env,
        CLICKHOUSE_URL: tw.server.url,
        CLICKHOUSE_USER: tw.config.user,
        CLICKHOUSE_PASSWORD: tw.config.password,
        CLICKHOUSE_DATABASE: 'crm',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const endedEarly = exited.then((code) => assert.fail(`the load ended before it could be killed (exit ${code}): ${stderr}`));
    endedEarly.catch(() => {}); // raced below; after the kill nobody waits for it
    // Kill as soon as some, but not all, rows are in: looked at each time the endpoint (in this
    // process) has written an INSERT, which is when the count can have changed.
    let killedAt = 0;
    for (let seen = tw.server.stats().inserts; killedAt === 0; ) {
      const after = seen;
      seen = (await Promise.race([tw.server.whenStats((s) => s.inserts > after), endedEarly])).inserts;
      const n = Number((await one<{ n: string }>(tw.warehouse, 'SELECT count() AS n FROM crm.transactions')).n);
      if (n > 0) {
        child.kill('SIGKILL');
        killedAt = n;
      }
    }
    await exited;
    const partial = Number((await one<{ n: string }>(tw.warehouse, 'SELECT count() AS n FROM crm.transactions')).n);
    assert.ok(killedAt > 0 && partial < ROWS, `killed after ${partial} of ${ROWS} rows`);
    const [running] = [await one<{ status: string }>(tw.warehouse, 'SELECT argMax(status, version) AS status FROM crm.ingest_batches')];
    assert.equal(running.status, 'running'); // the killed load never got to say anything else

    const resumed = await ingestFile(tw.warehouse, { entity: 'transactions', file, rejectsFile: false, batchSize: 30_000 });
    assert.equal(resumed.status, 'completed', resumed.error);
    assert.equal(resumed.loaded + resumed.duplicates, ROWS);
    assert.ok(resumed.duplicates >= killedAt, 'rows written before the kill are recognised');

    const log = await one<{ statuses: string }>(
      tw.warehouse,
      "SELECT arrayStringConcat(groupArray(status), ',') AS statuses FROM (SELECT status FROM crm.ingest_batches FINAL ORDER BY started_at)",
    );
    assert.equal(log.statuses, 'failed,completed'); // the killed load is marked as interrupted

    const clean = await otherDatabase(tw, 'clean');
    const once = await ingestFile(clean, { entity: 'transactions', file, rejectsFile: false, batchSize: 30_000 });
    assert.equal(once.loaded, ROWS);
    const a = await state(tw.warehouse);
    const b = await state(clean);
    assert.deepEqual(a, b);
    assert.equal(a.tx_raw, String(ROWS)); // no physical duplicates either
    // The resumed load looked its 30 000-key batches up through a scratch table, dropped at the end.
    const scratch = await one<{ n: string }>(tw.warehouse, "SELECT count() AS n FROM system.tables WHERE database = 'crm' AND startsWith(name, 'ingest_keys_')");
    assert.equal(scratch.n, '0');
  });
});
