/**
 * The win/loss cubes (issue 18) on a real Cube over the hand-countable fixture: deal_risk (open
 * deals' win probability and value at risk, lost deals' causes beside the stated reason) and
 * loss_drivers. Scores are planted as the win/loss model writes them (deal_scores, winloss_drivers,
 * then the model card that publishes the run); a second run without a card must stay invisible.
 * Owner tokens: Ann (U-OWN-01) owns C01–C05 (deals D1, D2, D3, D8), Bob (U-OWN-02) the rest.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OWNER_ANN, OWNER_BOB, opportunities } from './fixture.ts';
import { num, startSemanticFixture, type SemanticFixture } from './support.ts';
import { loadDealsAtRisk } from '../../alerts/deals-at-risk.ts';

let fx: SemanticFixture;
let admin: string;
let ann: string;
let bob: string;

const RUN = 'winloss-2024-07-01-fixture';
const UNPUBLISHED = 'winloss-2024-07-02-unpublished';

interface Planted {
  id: string;
  p: number;
  causes: [string, string, number][];
  disagreement?: string;
}
// Win probabilities and causes per fixture deal; everything else is the fixture's opportunity.
const PLANTED: Planted[] = [
  { id: 'D1', p: 0.81, causes: [] },
  { id: 'D2', p: 0.22, causes: [['silent_14d', 'no contact in the 14 days before close', 0.21], ['big_discount', 'discount of 15% or more', 0.05]], disagreement: 'stated: price — data: no contact in the 14 days before close' },
  { id: 'D3', p: 0.3, causes: [['no_meeting_21d', 'no meeting in the 21 days before 1 Jul 2024', 0.17]] },
  { id: 'D4', p: 0.35, causes: [['competitor=Globex', 'competitor Globex in the deal', 0.12]] },
  { id: 'D5', p: 0.74, causes: [] },
  { id: 'D6', p: 0.4, causes: [['slow_replies', 'replies to the customer took over 2 days (median) <b>x</b>', 0.09]], disagreement: 'stated: timing — data: replies took 4 days' },
  { id: 'D7', p: 0.55, causes: [['stuck_30d', '30+ days in one stage', 0.08]] },
  { id: 'D8', p: 0.18, causes: [['ticket_during', 'support ticket or complaint during the deal', 0.14]] },
];

function scoreRows(runId: string, shift = 0) {
  return PLANTED.map((s) => {
    const o = opportunities.find((d) => d.opportunity_id === s.id)!;
    const amount = Number(o.amount);
    const p = Math.min(1, s.p + shift);
    return {
      run_id: runId, scored_at: '2024-07-01 03:00:00.000', as_of: '2024-07-01', source: o.source, opportunity_id: o.opportunity_id,
      customer_id: o.customer_id, owner_id: o.owner_id, region: '', product: o.product, status: o.status, stage: o.stage, amount,
      created_at: o.created_at, closed_at: o.closed_at, stated_reason: o.loss_reason, competitor: o.competitor, win_probability: p,
      value_at_risk: o.status === 'open' ? amount * (1 - p) : 0,
      causes: s.causes.map(([feature, text, effect]) => ({ feature, text, effect })), top_cause: s.causes[0]?.[1] ?? '', disagreement: s.disagreement ?? '',
    };
  });
}

const driver = (runId: string, dim: string, value: string, factor: string, effect: number, ciLow: number, ciHigh: number, nWith: number, nWithout: number, significant: boolean, rank: number) => ({
  run_id: runId, slice_dim: dim, slice_value: value, owner_id: dim === 'owner' ? value : '', factor, label: `label of ${factor}`,
  direction: effect >= 1 ? 'loss' : 'win', effect, ci_low: ciLow, ci_high: ciHigh, p_value: 0.001, n_with: nWith, n_without: nWithout,
  lost_with: Math.round(nWith / 2), lost_without: Math.round(nWithout / 3), significant, rank,
});
const DRIVERS = [
  driver(RUN, 'all', '', 'no_meeting_21d', 2.3, 1.9, 2.8, 412, 1500, true, 1),
  driver(RUN, 'all', '', 'prior_won', 0.6, 0.5, 0.75, 700, 1212, true, 2),
  driver(RUN, 'all', '', 'lead_source=event', 1.04, 0.9, 1.2, 300, 1612, false, 3),
  driver(RUN, 'owner', OWNER_ANN, 'slow_replies', 1.8, 1.2, 2.7, 60, 180, true, 1),
  driver(RUN, 'owner', OWNER_BOB, 'big_discount', 3.1, 1.6, 5.9, 45, 210, true, 1),
  driver(RUN, 'region', 'North', 'silent_14d', 1.5, 1.1, 2.0, 90, 300, true, 1),
  driver(UNPUBLISHED, 'all', '', 'single_contact', 9.9, 9, 11, 999, 999, true, 1),
];

before(async () => {
  fx = await startSemanticFixture();
  const { client } = fx.tw.warehouse;
  const db = fx.tw.config.database;
  const put = (table: string, values: object[]) => client.insert({ table: `${db}.${table}`, values, format: 'JSONEachRow' });
  await put('deal_scores', [...scoreRows(RUN), ...scoreRows(UNPUBLISHED, 0.1)]);
  await put('winloss_drivers', DRIVERS);
  // Publishing = the model card of the run (the trainer writes it last); UNPUBLISHED has none.
  await put('model_cards', [{
    model_version: RUN, model: 'winloss', created_at: '2024-07-01 03:00:01.000', data_start: '2024-01-01', as_of: '2024-07-01', train_cutoff: '2024-06-30',
    horizon_days: 0, churn_rate: 0.5, chosen: 'logistic', reason: 'fixture', roc_auc: 0.7, pr_auc: 0.6, brier: 0.2, best_baseline: 'stage_only',
    best_baseline_roc_auc: 0.6, folds: 3, card: '{}',
  }]);
  admin = fx.token('admin');
  ann = fx.token('owner', OWNER_ANN);
  bob = fx.token('owner', OWNER_BOB);
});
after(async () => {
  await fx?.close();
});

/** Value at risk computed here from what was planted: open deals' amount × (1 − p). */
const expectedVaR = (ids: string[]) =>
  PLANTED.filter((s) => ids.includes(s.id))
    .map((s) => ({ s, o: opportunities.find((d) => d.opportunity_id === s.id)! }))
    .filter(({ o }) => o.status === 'open')
    .reduce((sum, { s, o }) => sum + Number(o.amount) * (1 - s.p), 0);
const ANN_DEALS = ['D1', 'D2', 'D3', 'D8'];
const BOB_DEALS = ['D4', 'D5', 'D6', 'D7'];

describe('deal_risk', () => {
  test('open deals: value at risk = amount × (1 − win probability), from the published run only', async () => {
    const [all] = await fx.load({ measures: ['deal_risk.value_at_risk', 'deal_risk.open_deals', 'deal_risk.open_value', 'deal_risk.expected_won_value', 'deal_risk.scored_deals'] }, admin);
    assert.ok(Math.abs(num(all['deal_risk.value_at_risk']) - expectedVaR([...ANN_DEALS, ...BOB_DEALS])) < 1e-6, JSON.stringify(all));
    assert.equal(expectedVaR([...ANN_DEALS, ...BOB_DEALS]), 5000 * 0.7 + 400 * 0.45); // the planted numbers, by hand
    assert.equal(num(all['deal_risk.open_deals']), 2);
    assert.equal(num(all['deal_risk.open_value']), 5400);
    assert.ok(Math.abs(num(all['deal_risk.expected_won_value']) - (5000 * 0.3 + 400 * 0.55)) < 1e-6);
    assert.equal(num(all['deal_risk.scored_deals']), 8, 'the unpublished run is not counted');
    const runs = await fx.load({ dimensions: ['deal_risk.run_id'] }, admin);
    assert.deepEqual(runs.map((r) => r['deal_risk.run_id']), [RUN]);
  });

  test('the list of open deals, largest value at risk first, with the customer, owner and deal names', async () => {
    const rows = await fx.load({
      dimensions: ['deal_risk.opportunity_id', 'deal_risk.customer_name', 'deal_risk.owner_name', 'deal_risk.deal_name', 'deal_risk.win_probability', 'deal_risk.deal_value_at_risk', 'deal_risk.causes', 'deal_risk.cause_effects'],
      filters: [{ member: 'deal_risk.deal_status', operator: 'equals', values: ['open'] }],
      order: [['deal_risk.deal_value_at_risk', 'desc']],
    }, admin);
    assert.deepEqual(rows.map((r) => [r['deal_risk.opportunity_id'], r['deal_risk.customer_name'], r['deal_risk.owner_name'], r['deal_risk.deal_name']]), [
      ['D3', 'Cora', 'Ann Owner', 'Deal D3'],
      ['D7', 'Ida', 'Bob Owner', 'Deal D7'],
    ]);
    assert.ok(Math.abs(num(rows[0]['deal_risk.deal_value_at_risk']) - 3500) < 1e-6);
    assert.equal(num(rows[0]['deal_risk.win_probability']), 0.3);
    assert.equal(rows[0]['deal_risk.causes'], 'no meeting in the 21 days before 1 Jul 2024');
    assert.equal(rows[0]['deal_risk.cause_effects'], '0.17');
  });

  test('lost deals: causes in order with their effects, the stated reason and the disagreement', async () => {
    const [d2] = await fx.load({
      dimensions: ['deal_risk.causes', 'deal_risk.cause_effects', 'deal_risk.top_cause', 'deal_risk.stated_reason', 'deal_risk.disagreement', 'deal_risk.has_disagreement'],
      filters: [{ member: 'deal_risk.opportunity_id', operator: 'equals', values: ['D2'] }],
    }, admin);
    assert.equal(d2['deal_risk.causes'], 'no contact in the 14 days before close; discount of 15% or more');
    assert.equal(d2['deal_risk.cause_effects'], '0.21;0.05');
    assert.equal(d2['deal_risk.top_cause'], 'no contact in the 14 days before close');
    assert.equal(d2['deal_risk.stated_reason'], 'price');
    assert.equal(d2['deal_risk.disagreement'], 'stated: price — data: no contact in the 14 days before close');
    const [counts] = await fx.load({ measures: ['deal_risk.scored_lost_deals', 'deal_risk.disagreements'] }, admin);
    assert.equal(num(counts['deal_risk.scored_lost_deals']), PLANTED.filter((s) => opportunities.find((o) => o.opportunity_id === s.id)!.status === 'lost').length);
    assert.equal(num(counts['deal_risk.disagreements']), 2); // D2 and D6
    const disagreeing = await fx.load({ dimensions: ['deal_risk.opportunity_id'], filters: [{ member: 'deal_risk.has_disagreement', operator: 'equals', values: ['true'] }], order: { 'deal_risk.opportunity_id': 'asc' } }, admin);
    assert.deepEqual(disagreeing.map((r) => r['deal_risk.opportunity_id']), ['D2', 'D6']);
  });

  test("an owner sees only their customers' deals, whatever the query asks", async () => {
    const ids = async (token: string, extra: Record<string, unknown> = {}) =>
      (await fx.load({ dimensions: ['deal_risk.opportunity_id'], order: { 'deal_risk.opportunity_id': 'asc' }, ...extra }, token)).map((r) => r['deal_risk.opportunity_id']);
    assert.deepEqual(await ids(ann), ANN_DEALS.slice().sort());
    assert.deepEqual(await ids(bob), BOB_DEALS.slice().sort());
    // Another owner's deal asked for by id: nothing.
    assert.deepEqual(await ids(ann, { filters: [{ member: 'deal_risk.opportunity_id', operator: 'equals', values: ['D7'] }] }), []);
    assert.deepEqual(await ids(ann, { filters: [{ or: [{ member: 'deal_risk.deal_owner_id', operator: 'equals', values: [OWNER_BOB] }, { member: 'deal_risk.customer_id', operator: 'equals', values: ['C09'] }] }] }), []);
    const [mine] = await fx.load({ measures: ['deal_risk.value_at_risk', 'deal_risk.scored_deals'] }, ann);
    assert.ok(Math.abs(num(mine['deal_risk.value_at_risk']) - expectedVaR(ANN_DEALS)) < 1e-6);
    assert.equal(num(mine['deal_risk.scored_deals']), 4);
    const names = await fx.load({ dimensions: ['deal_risk.owner_name', 'deal_risk.customer_name'] }, ann);
    assert.ok(names.every((r) => r['deal_risk.owner_name'] === 'Ann Owner'), JSON.stringify(names));
  });
});

describe("the owner's digest", () => {
  test('lists the open deals at risk with the numbers the semantic layer gives the owner', async () => {
    const writer = await fx.tw.connectAs('writer'); // the alerts worker's connection
    const deals = await loadDealsAtRisk(writer, [OWNER_ANN, OWNER_BOB, 'U-NOBODY']);
    assert.deepEqual([...deals.keys()].sort(), [OWNER_ANN, OWNER_BOB]);
    for (const [owner, token] of [[OWNER_ANN, ann], [OWNER_BOB, bob]] as const) {
      const cube = await fx.load({
        dimensions: ['deal_risk.opportunity_id', 'deal_risk.deal_name', 'deal_risk.customer_name', 'deal_risk.win_probability', 'deal_risk.deal_value_at_risk', 'deal_risk.top_cause'],
        filters: [{ member: 'deal_risk.deal_status', operator: 'equals', values: ['open'] }],
        order: [['deal_risk.deal_value_at_risk', 'desc']],
      }, token);
      assert.deepEqual(
        deals.get(owner)!.map((d) => [d.opportunityId, d.dealName, d.customerName, d.winProbability, d.valueAtRisk, d.reasons[0] ?? '']),
        cube.map((r) => [r['deal_risk.opportunity_id'], r['deal_risk.deal_name'], r['deal_risk.customer_name'], num(r['deal_risk.win_probability']), num(r['deal_risk.deal_value_at_risk']), r['deal_risk.top_cause']]),
      );
    }
    assert.ok(Math.abs(deals.get(OWNER_ANN)![0].valueAtRisk - 5000 * (1 - 0.3)) < 1e-9);
    assert.equal((await loadDealsAtRisk(writer, [OWNER_ANN], 0)).size, 0);
  });
});

describe('loss_drivers', () => {
  const DIMS = ['loss_drivers.driver_rank', 'loss_drivers.slice_dim', 'loss_drivers.slice_value', 'loss_drivers.factor', 'loss_drivers.effect', 'loss_drivers.ci_low', 'loss_drivers.ci_high', 'loss_drivers.deals_behind', 'loss_drivers.is_significant'];

  test('the published run only, with effect, CI and the deals behind it', async () => {
    const rows = await fx.load({ dimensions: DIMS, filters: [{ member: 'loss_drivers.slice_dim', operator: 'equals', values: ['all'] }], order: [['loss_drivers.driver_rank', 'asc']] }, admin);
    assert.deepEqual(rows.map((r) => r['loss_drivers.factor']), ['no_meeting_21d', 'prior_won', 'lead_source=event']);
    const first = rows[0];
    assert.equal(num(first['loss_drivers.effect']), 2.3);
    assert.equal(num(first['loss_drivers.ci_low']), 1.9);
    assert.equal(num(first['loss_drivers.ci_high']), 2.8);
    assert.equal(num(first['loss_drivers.deals_behind']), 412 + 1500);
    const [sig] = await fx.load({ measures: ['loss_drivers.significant_drivers', 'loss_drivers.drivers'] }, admin);
    assert.equal(num(sig['loss_drivers.drivers']), DRIVERS.filter((d) => d.run_id === RUN).length);
    assert.equal(num(sig['loss_drivers.significant_drivers']), DRIVERS.filter((d) => d.run_id === RUN && d.significant).length);
    // The panel's default: significant only (a boolean filter as the dashboard sends it).
    const shown = await fx.load({ dimensions: ['loss_drivers.factor'], filters: [{ member: 'loss_drivers.slice_dim', operator: 'equals', values: ['all'] }, { member: 'loss_drivers.is_significant', operator: 'equals', values: ['true'] }] }, admin);
    assert.deepEqual(shown.map((r) => r['loss_drivers.factor']).sort(), ['no_meeting_21d', 'prior_won']);
  });

  test("an owner sees company-wide, region and product slices and their own owner slice, never another owner's", async () => {
    const slices = async (token: string, extra: Record<string, unknown> = {}) =>
      (await fx.load({ dimensions: ['loss_drivers.slice_dim', 'loss_drivers.slice_value', 'loss_drivers.factor'], order: { 'loss_drivers.factor': 'asc' }, ...extra }, token)).map((r) => `${r['loss_drivers.slice_dim']}:${r['loss_drivers.slice_value']}:${r['loss_drivers.factor']}`);
    const annSees = await slices(ann);
    assert.ok(annSees.includes(`owner:${OWNER_ANN}:slow_replies`));
    assert.ok(annSees.includes('region:North:silent_14d'));
    assert.ok(annSees.includes('all::no_meeting_21d'));
    assert.ok(!annSees.some((s) => s.includes(OWNER_BOB)), annSees.join(', '));
    assert.deepEqual(await slices(ann, { filters: [{ member: 'loss_drivers.slice_value', operator: 'equals', values: [OWNER_BOB] }] }), []);
    assert.ok((await slices(bob)).includes(`owner:${OWNER_BOB}:big_discount`));
  });
});
