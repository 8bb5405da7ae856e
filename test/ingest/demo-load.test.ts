import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateDemo } from '../../ingest/demo/generate.ts';
import { loadDemo, type LoadDemoResult } from '../../ingest/demo/load-demo.ts';
import type { DemoManifest } from '../../ingest/demo/manifest.ts';
import { parseScale } from '../../ingest/demo/scale.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { readCsv } from './demo-files.ts';
import { one, rows, warehouseWithSchema } from './helpers.ts';

// The demo files through the real ingest jobs into the embedded engine: what the manifest promises
// (clean rows load, planted dirty rows are rejected, duplicates resolve to the true customers) must
// hold end to end. A small world keeps this under a minute.
describe('loadDemo', () => {
  let tw: TestWarehouse;
  let dir: string;
  let manifest: DemoManifest;
  let result: LoadDemoResult;
  const progress: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'demo-load-'));
    manifest = await generateDemo({ out: dir, scale: parseScale('600'), seed: 42, today: '2026-11-01' });
    tw = await warehouseWithSchema();
    result = await loadDemo(tw.warehouse, { dir, rejectsDir: false, onProgress: (p) => p.summary && progress.push(p.file) });
  });
  after(async () => {
    await tw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the files in dependency order, every clean row, and rejects exactly the planted dirty rows', () => {
    assert.deepEqual(progress, manifest.load_order);
    for (const { file, summary } of result.summaries) {
      const f = manifest.files[file];
      assert.equal(summary.read, f.rows, `${file}: read`);
      assert.equal(summary.rejected, f.dirty_rows, `${file}: rejected ${summary.rejected}, planted ${JSON.stringify(f.dirty)}; first: ${summary.rejects[0]?.reason}`);
      assert.equal(summary.loaded, f.valid_rows, `${file}: loaded`);
      assert.equal(summary.unknownCustomers, 0, `${file}: references to unknown customers`);
    }
  });

  /** Per true person: the customer ids their records resolved to, and whether one record writes its phone as "+49 (0)30 …". */
  async function resolvedPersons(): Promise<{ person: string; ids: Set<string>; trunkInParens: boolean }[]> {
    const aliases = new Map((await rows<{ from_id: string; to_id: string }>(tw.warehouse, 'SELECT from_id, argMax(to_id, version) AS to_id FROM crm.customer_aliases GROUP BY from_id')).map((a) => [a.from_id, a.to_id]));
    const resolve = (id: string): string => {
      for (let i = 0; i < 100 && aliases.has(id); i++) id = aliases.get(id)!;
      return id;
    };
    const idOf = new Map(
      (await rows<{ source: string; source_id: string; customer_id: string }>(tw.warehouse, 'SELECT source, source_id, customer_id FROM crm.identity_map FINAL')).map((r) => [`${r.source}:${r.source_id}`, resolve(r.customer_id)]),
    );
    const parens = new Set<string>();
    for (const file of ['customers_shop.csv', 'customers_support.csv', 'customers_sales.csv']) {
      for (const r of readCsv(join(dir, file)).rows) if (String(r.values.phone).includes('(0)')) parens.add(`${r.values.source}:${r.values.source_id}`);
    }
    return readCsv(join(dir, 'truth.csv')).rows.map(({ values: t }) => {
      const ids = new Set<string>();
      let trunkInParens = false;
      for (const [source, id] of [['shop', t.shop_id], ['shop', t.shop_id_2], ['support', t.support_id], ['sales', t.sales_id]] as [string, string][]) {
        if (!id) continue;
        const cid = idOf.get(`${source}:${id}`);
        assert.ok(cid, `${source}:${id} has no identity`);
        ids.add(cid);
        trunkInParens ||= parens.has(`${source}:${id}`);
      }
      return { person: String(t.person_id), ids, trunkInParens };
    });
  }

  it('resolves the duplicate records of shop, support and sales to the true customers', async () => {
    const persons = await resolvedPersons();
    const split = persons.filter((p) => p.ids.size !== 1 && !p.trunkInParens);
    assert.deepEqual(split.map((p) => `${p.person}: ${[...p.ids].join(', ')}`), [], 'records of one person resolved to several customers');
    const owners = new Map<string, string>();
    for (const p of persons) for (const id of p.ids) {
      assert.ok(!owners.has(id) || owners.get(id) === p.person, `${id} merges ${owners.get(id)} and ${p.person}`);
      owners.set(id, p.person);
    }
    assert.equal(new Set(owners.keys()).size, manifest.identity.expected_distinct_customers, 'one customer per true person');
  });

  it('matches "+49 (0)30 1234567" with "030 1234567"', async () => {
    const split = (await resolvedPersons()).filter((p) => p.trunkInParens && p.ids.size !== 1);
    assert.deepEqual(split.map((p) => p.person), [], `${split.length} people stay split because of a "(0)" phone`);
  });

  it('converts foreign-currency amounts with the manifest rates', async () => {
    const r = await one<{ gbp: number; gbp_eur: number }>(
      tw.warehouse,
      "SELECT sum(original_amount) AS gbp, sum(amount) AS gbp_eur FROM crm.transactions FINAL WHERE original_currency = 'GBP'",
    );
    assert.ok(r.gbp > 0, 'some GBP lines');
    assert.ok(Math.abs(r.gbp_eur - r.gbp * manifest.currency_rates.GBP) < 0.01 * r.gbp, `GBP ${r.gbp} → EUR ${r.gbp_eur}`);
  });

  it('loads nothing new the second time', async () => {
    const again = await loadDemo(tw.warehouse, { dir, rejectsDir: false });
    for (const { file, summary } of again.summaries) {
      assert.equal(summary.loaded + summary.updated, 0, `${file}: ${summary.loaded} loaded, ${summary.updated} updated on reload`);
    }
  });
});
