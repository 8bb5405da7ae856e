import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { readReportingCurrency, reportingCurrencyOf } from '../../lib/warehouse/reporting-currency.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { counts, fixture, warehouseWithSchema } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run ingest', () => {
  let tw: TestWarehouse;
  let dir: string;
  // Asynchronous on purpose: the endpoint the CLI talks to runs in this process.
  const runIn = (extra: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'ingest/cli.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, ...extra, CLICKHOUSE_URL: tw.server.url, CLICKHOUSE_USER: tw.config.user, CLICKHOUSE_PASSWORD: tw.config.password, CLICKHOUSE_DATABASE: extra.CLICKHOUSE_DATABASE ?? 'crm' },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => resolve({ code, out, err }));
    });
  const run = (...args: string[]) => runIn({}, ...args);
  before(async () => {
    tw = await warehouseWithSchema();
    dir = mkdtempSync(join(tmpdir(), 'ingest-cli-'));
  });
  after(async () => {
    await tw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--help explains usage', async () => {
    const r = await run('--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /Usage: npm run ingest -- <entity> <file>/);
    assert.match(r.out, /--mapping/);
  });

  it('loads gzipped CSV and NDJSON, prints a summary, exits 0', async () => {
    const csv = join(dir, 'transactions.csv.gz');
    writeFileSync(csv, gzipSync(readFileSync(fixture('transactions.csv'))));
    const nd = join(dir, 'interactions.jsonl.gz');
    writeFileSync(nd, gzipSync(readFileSync(fixture('interactions.ndjson'))));
    const a = await run('transactions', csv, '--quiet');
    assert.equal(a.code, 0, a.err);
    assert.match(a.out, /read 7 · loaded 7 · updated 0 · duplicates 0 · rejected 0/);
    assert.match(a.out, /4 unknown customers/);
    const b = await run('interactions', nd, '--json');
    assert.equal(b.code, 0, b.err);
    assert.equal(JSON.parse(b.out).loaded, 4);
  });

  it('a re-load that changes nothing still exits 0; a file whose rows are all rejected exits 1', async () => {
    const again = await run('transactions', join(dir, 'transactions.csv.gz'), '--quiet');
    assert.equal(again.code, 0);
    assert.match(again.out, /duplicates 7/);
    const bad = join(dir, 'all-bad.csv');
    writeFileSync(bad, 'source,transaction_id,customer_ref,order_date,status,amount\nshop,X1,C1,not a date,completed,1\nshop,X2,C1,2024-01-01,unknown,1\n');
    const r = await run('transactions', bad, '--quiet');
    assert.equal(r.code, 1);
    assert.match(r.out, /rejected 2/);
    assert.match(readFileSync(`${bad}.rejects.csv`, 'utf8'), /line 2, field order_date/);
    assert.equal((await counts(tw.warehouse, 'transactions')).final, 7);
  });

  it('an unreadable input exits 2 with the reason; bad arguments too', async () => {
    const missing = await run('transactions', join(dir, 'nope.csv'));
    assert.equal(missing.code, 2);
    assert.match(missing.out, /no such file/);
    assert.equal((await run('widgets', 'x.csv')).code, 2);
    const copy = join(dir, 'x.txt.bin');
    copyFileSync(fixture('transactions.csv'), copy);
    const unknownFormat = await run('transactions', copy);
    assert.equal(unknownFormat.code, 2);
    assert.match(unknownFormat.out, /--format/);
  });

  // The CDNOW mapping says its amounts are dollars (currency.base USD); the dashboard labels every
  // amount with the reporting currency. Loaded under the default EUR, $98,000 showed as €98.0k.
  // A database of its own: the loads above recorded this one's currency (EUR).
  it('a mapping whose base currency is not the reporting currency is refused before anything loads; the first load records its currency', async () => {
    const db = { CLICKHOUSE_DATABASE: 'crm_usd' };
    const file = join(dir, 'usd.csv');
    writeFileSync(file, 'source,transaction_id,customer_ref,order_date,status,amount\nusd,U1,C9,2024-01-01,completed,10.50\n');
    const mapping = join(dir, 'usd.mapping.json');
    writeFileSync(mapping, JSON.stringify({ currency: { default: 'USD', base: 'USD' } }));
    const refused = await runIn({ ...db, CRM_BASE_CURRENCY: '' }, 'transactions', file, '--mapping', mapping, '--quiet');
    assert.equal(refused.code, 2, refused.out + refused.err);
    assert.match(refused.err, /currency\.base is USD, but the dashboard, digests and exports show every amount in EUR \(CRM_BASE_CURRENCY is unset, so EUR\)/);
    assert.match(refused.err, /CRM_BASE_CURRENCY=USD/);
    const amounts = async () => (await tw.warehouse.client.query({ query: 'SELECT count() AS n, sum(amount) AS s FROM crm_usd.transactions FINAL', format: 'JSONEachRow' })).json<{ n: string; s: number }>();
    assert.deepEqual((await amounts())[0], { n: '0', s: 0 }, 'nothing was written');
    assert.equal(await readReportingCurrency(tw.warehouse.client, 'crm_usd'), undefined, 'nothing was recorded');

    // Under the matching reporting currency the same file loads, its amount unconverted, and the
    // warehouse records USD: what npm start then uses without the variable.
    const loaded = await runIn({ ...db, CRM_BASE_CURRENCY: 'usd' }, 'transactions', file, '--mapping', mapping, '--quiet');
    assert.equal(loaded.code, 0, loaded.out + loaded.err);
    assert.deepEqual((await amounts())[0], { n: '1', s: 10.5 });
    assert.equal(await reportingCurrencyOf(tw.warehouse.client, 'crm_usd', undefined), 'USD');
    assert.equal(await reportingCurrencyOf(tw.warehouse.client, 'crm_usd', 'usd'), 'USD');
    await assert.rejects(reportingCurrencyOf(tw.warehouse.client, 'crm_usd', 'EUR'), /amounts are in USD .* but CRM_BASE_CURRENCY is EUR: unset CRM_BASE_CURRENCY \(or set it to USD\)/);

    // Later loads need no variable: the recorded currency is the reporting one.
    writeFileSync(file, 'source,transaction_id,customer_ref,order_date,status,amount\nusd,U2,C9,2024-01-02,completed,4.25\n');
    const again = await runIn({ ...db, CRM_BASE_CURRENCY: '' }, 'transactions', file, '--mapping', mapping, '--quiet');
    assert.equal(again.code, 0, again.out + again.err);
    assert.deepEqual((await amounts())[0], { n: '2', s: 14.75 });
    // Another base, or a variable naming another currency, is refused and names both.
    const eurMapping = join(dir, 'eur.mapping.json');
    writeFileSync(eurMapping, JSON.stringify({ currency: { base: 'EUR' } }));
    const other = await runIn({ ...db, CRM_BASE_CURRENCY: '' }, 'transactions', file, '--mapping', eurMapping, '--quiet');
    assert.equal(other.code, 2, other.out + other.err);
    assert.match(other.err, /currency\.base is EUR, but this warehouse's amounts are in USD \(recorded by its first load\)/);
    const envOther = await runIn({ ...db, CRM_BASE_CURRENCY: 'GBP' }, 'transactions', file, '--mapping', mapping, '--quiet');
    assert.equal(envOther.code, 2, envOther.out + envOther.err);
    assert.match(envOther.err, /amounts are in USD .* but CRM_BASE_CURRENCY is GBP/);
    assert.deepEqual((await amounts())[0], { n: '2', s: 14.75 }, 'the refused loads wrote nothing');
    assert.equal(await readReportingCurrency(tw.warehouse.client, 'crm_usd'), 'USD');
  });
});
