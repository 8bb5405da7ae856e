/**
 * One lapsed count everywhere (issue 14 point 4): the churn page's query, the semantic API and the
 * alerts read the same stored state, and old score rows read right after migration 020.
 *
 * The semantic fixture's customers are re-scored here as a model run before the lapsed band would
 * have written them (high/medium/low by probability alone), with cutoff 2025-05-01, then migration
 * 020's statements re-band them. Expected numbers are worked out below from the fixture's orders in
 * JavaScript (placed = completed or refunded; the window is [2024-05-01, 2025-05-01)), and by hand:
 *   active: C01 (2024-05-20, 06-28), C03 (05-05 refunded, 06-20), C05 (06-30), C08 (05-30), C10 (06-10)
 *   lapsed: Ann C02, C04 (moved to Ann); Bob C06, C07, C09, C12 (never bought) → 2 + 4 = 6
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadLapsedCounts } from '../../alerts/candidates.ts';
import type { AlertsConfig } from '../../alerts/config.ts';
import { defaultRules } from '../../alerts/rules.ts';
import { runAlerts } from '../../alerts/run.ts';
import { lapsedBandStatements } from '../../lib/warehouse/migrations/020-lapsed-band.ts';
import { riskByBandQuery, riskSummaryQuery } from '../../web/src/lib/churn/queries.ts';
import type { Filters } from '../../web/src/lib/filters/url-filters.ts';
import { ManualClock } from '../alerts/manual-clock.ts';
import { aliases, clvScores, customers, OWNER_ANN, OWNER_BOB, transactions } from './fixture.ts';
import { startSemanticFixture, type CubeQuery, type SemanticFixture } from './support.ts';

const CUTOFF = '2025-05-01';
const WINDOW_START = '2024-05-01';
let fx: SemanticFixture;
let dataDir: string;

/** Probability per customer: lapsed ones high, so the old band would have called them high risk. */
const P: Record<string, number> = { C01: 0.2, C02: 0.95, C03: 0.7, C04: 0.9, C05: 0.35, C06: 0.85, C07: 0.8, C08: 0.65, C09: 0.99, C10: 0.1, C12: 0.75 };

// ── independent expectations, from the fixture's rows ──
const resolved = (id: string): string => aliases.find((a) => a.from_id === id)?.to_id ?? id;
const ownerOf = new Map<string, string>();
for (const c of [...customers].sort((a, b) => a.version - b.version)) ownerOf.set(c.customer_id, c.owner_id);
// The newest version of each transaction line decides its status (C03's refund).
const latest = new Map<string, (typeof transactions)[number]>();
for (const t of transactions) {
  const prev = latest.get(t.transaction_id);
  if (!prev || t.version > prev.version) latest.set(t.transaction_id, t);
}
const active = new Set(
  [...latest.values()]
    .filter((t) => ['completed', 'refunded'].includes(t.status) && t.order_date.slice(0, 10) >= WINDOW_START && t.order_date.slice(0, 10) < CUTOFF)
    .map((t) => resolved(t.customer_id)),
);
const scored = Object.keys(P);
const lapsed = scored.filter((id) => !active.has(id));
const lapsedOf = (owner: string): number => lapsed.filter((id) => ownerOf.get(id) === owner).length;
const clvOf = new Map(clvScores.map((c) => [c.customer_id, c.clv_12m]));

/** The page's own query, sent as it is (the two CubeQuery types describe the same JSON). */
const asSent = (q: unknown): CubeQuery => q as CubeQuery;

const noFilters = { from: '', to: '', region: '', channel: '', owner: '', segment: '' } as unknown as Filters;

before(async () => {
  fx = await startSemanticFixture();
  const db = fx.tw.config.database;
  // A run as scoring wrote it before the lapsed band: bands by probability only.
  await fx.tw.warehouse.client.insert({
    table: `${db}.churn_scores`,
    values: scored.map((id) => ({
      customer_id: id,
      probability: P[id],
      risk_band: P[id] >= 0.6 ? 'high' : P[id] >= 0.3 ? 'medium' : 'low',
      top_reasons: [],
      model_version: 'old',
      cutoff: CUTOFF,
      scored_at: `${CUTOFF} 07:00:00.000`,
    })),
    format: 'JSONEachRow',
  });
  for (const statement of lapsedBandStatements({ database: db })) await fx.tw.warehouse.client.command({ query: statement });
  dataDir = mkdtempSync(join(tmpdir(), 'crm-lapsed-agreement-'));
});
after(async () => {
  await fx?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('the expectations: 6 lapsed (Ann 2, Bob 4), worked out from the orders', () => {
  assert.deepEqual([...lapsed].sort(), ['C02', 'C04', 'C06', 'C07', 'C09', 'C12']);
  assert.deepEqual([lapsedOf(OWNER_ANN), lapsedOf(OWNER_BOB)], [2, 4]);
});

test('the churn page\'s queries and the semantic API: lapsed on their own, high risk among the active only', async () => {
  const admin = fx.token('admin');
  const [s] = await fx.load(asSent(riskSummaryQuery(noFilters, '')), admin);
  const activeIds = scored.filter((id) => active.has(id));
  assert.equal(Number(s['customer_risk.lapsed_customers']), lapsed.length);
  assert.equal(Number(s['customer_risk.scored_customers']), scored.length);
  assert.equal(Number(s['customer_risk.active_scored_customers']), activeIds.length);
  // High risk: active with p >= 0.6 (C03 0.7, C08 0.65), not the 5 lapsed ones at or above 0.6.
  assert.equal(Number(s['customer_risk.high_risk_customers']), activeIds.filter((id) => P[id] >= 0.6).length);
  assert.equal(Number(s['customer_risk.high_risk_customers']), 2);
  const var_ = activeIds.reduce((a, id) => a + P[id] * (clvOf.get(id) ?? 0), 0);
  assert.ok(Math.abs(Number(s['customer_risk.value_at_risk']) - var_) < 1e-6, `value at risk ${s['customer_risk.value_at_risk']} vs ${var_}`);
  assert.ok(Math.abs(Number(s['customer_risk.expected_churners']) - activeIds.reduce((a, id) => a + P[id], 0)) < 1e-9);
  const lapsedClv = lapsed.reduce((a, id) => a + (clvOf.get(id) ?? 0), 0);
  assert.ok(Math.abs(Number(s['customer_risk.lapsed_predicted_clv']) - lapsedClv) < 1e-6);
  // The band chart's query: the lapsed band has its customers and no value at risk.
  const bands = Object.fromEntries((await fx.load(asSent(riskByBandQuery(noFilters)), admin)).map((r) => [r['customer_risk.risk_band'], r]));
  assert.equal(Number(bands.lapsed['customer_risk.scored_customers']), lapsed.length);
  assert.equal(Number(bands.lapsed['customer_risk.value_at_risk'] ?? 0), 0);
  // Per customer: no value at risk for a lapsed one.
  const rows = await fx.load({ dimensions: ['customer_risk.customer_id', 'customer_risk.risk_band', 'customer_risk.churn_value_at_risk'] }, admin);
  for (const r of rows) {
    const id = String(r['customer_risk.customer_id']);
    assert.equal(r['customer_risk.risk_band'] === 'lapsed', lapsed.includes(id), id);
    if (lapsed.includes(id)) assert.equal(r['customer_risk.churn_value_at_risk'], null, id);
  }
  // customer_base (the customer list, the 360 and the segment builder) carries the same band and count.
  const [b] = await fx.load({ measures: ['customer_base.lapsed_customers'] }, admin);
  assert.equal(Number(b['customer_base.lapsed_customers']), lapsed.length);
  const seg = await fx.load({ dimensions: ['customer_base.customer_id'], filters: [{ member: 'customer_base.churn_risk_band', operator: 'equals', values: ['lapsed'] }] }, admin);
  assert.deepEqual(seg.map((r) => r['customer_base.customer_id']).sort(), [...lapsed].sort());
});

test('page, API and alerts agree per owner', async () => {
  const counts = await loadLapsedCounts(fx.tw.warehouse, null);
  for (const owner of [OWNER_ANN, OWNER_BOB]) {
    // The page as the owner sees it (their token: row-level security) …
    const [mine] = await fx.load(asSent(riskSummaryQuery(noFilters, '')), fx.token('owner', owner));
    // … as an admin filtering the page to that owner …
    const [filtered] = await fx.load(asSent(riskSummaryQuery({ ...noFilters, owner } as Filters, '')), fx.token('admin'));
    assert.equal(Number(mine['customer_risk.lapsed_customers']), lapsedOf(owner), owner);
    assert.equal(Number(filtered['customer_risk.lapsed_customers']), lapsedOf(owner), owner);
    // … and the alerts' count for that owner's digest.
    assert.equal(counts.get(owner), lapsedOf(owner), owner);
  }
  const config: AlertsConfig = { dataDir, outboxDir: join(dataDir, 'outbox'), from: 'alerts@crm.example.test', webhookSecret: 's', publicUrl: 'https://crm.example.test' };
  const at = new Date(`${CUTOFF}T07:00:00Z`);
  const r = await runAlerts({ warehouse: fx.tw.warehouse, dataDir, config, rules: { ...defaultRules({}), owners: 'all' }, clock: new ManualClock(at), at, today: CUTOFF, dryRun: true, rescore: false, log: () => {} });
  assert.equal(r.lapsed, lapsed.length);
  const alerted = r.deliveries.flatMap((d) => d.customers.map((c) => c.customerId));
  for (const id of lapsed) assert.ok(!alerted.includes(id), `${id} is lapsed and was alerted`);
});
