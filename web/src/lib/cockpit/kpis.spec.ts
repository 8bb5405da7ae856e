import { describe, expect, test } from 'vitest';
import type { Comparison } from '../filters/comparison.ts';
import { COCKPIT_KPIS, COCKPIT_MEASURES, joinNotes, kpiHelp, kpiValue, medianNote, snapshotNote } from './kpis.ts';
import { KPI_MEASURES } from './queries.ts';

const byId = (id: string) => COCKPIT_KPIS.find((k) => k.testid === id)!;
const range = { from: '2025-12-01', to: '2026-11-30' };
const previous: Comparison = { compare: 'previous', range: { from: '2024-12-01', to: '2025-11-30' }, available: true, vs: 'vs previous period' };

describe('cockpit KPI cards', () => {
  test('each card shows a measure its query asks for; ids and measures are unique', () => {
    for (const k of COCKPIT_KPIS) expect(KPI_MEASURES[k.source] as readonly string[]).toContain(k.measure);
    expect(new Set(COCKPIT_KPIS.map((k) => k.testid)).size).toBe(COCKPIT_KPIS.length);
    expect(new Set(COCKPIT_MEASURES).size).toBe(COCKPIT_MEASURES.length);
  });

  test('retention is the period measure and the repeat-purchase rate a card of its own; AOV and value at risk are cards', () => {
    expect(byId('kpi-retention').measure).toBe('customer_retention.retention_rate');
    expect(byId('kpi-repeat-purchase').measure).toBe('sales.repeat_purchase_rate');
    expect(byId('kpi-aov').measure).toBe('sales.average_order_value');
    expect(byId('kpi-value-at-risk').measure).toBe('customer_base.value_at_risk');
  });
});

describe('kpiHelp: definition, period and comparison', () => {
  test('a period KPI names its days and the comparison period', () => {
    expect(kpiHelp(byId('kpi-revenue'), { description: 'Revenue of paid orders, before refunds.' }, { range, asOf: '2026-12-05', comparison: previous })).toEqual({
      definition: 'Revenue of paid orders, before refunds.',
      period: '1 Dec 2025 – 30 Nov 2026.',
      comparison: 'The previous period, 1 Dec 2024 – 30 Nov 2025.',
    });
  });
  test('retention also names the previous period its customers come from', () => {
    expect(kpiHelp(byId('kpi-retention'), { description: 'x' }, { range, asOf: '2026-12-05', comparison: previous }).period).toBe('1 Dec 2025 – 30 Nov 2026, customers active in the previous period 1 Dec 2024 – 30 Nov 2025.');
  });
  test('year to date on a month end: the customers come from the same days a year earlier', () => {
    const ytd = { from: '1998-01-01', to: '1998-06-30', period: 'year_to_date' as const };
    expect(kpiHelp(byId('kpi-retention'), { description: 'x' }, { range: ytd, asOf: '1998-06-30', comparison: previous }).period).toBe('1 Jan 1998 – 30 Jun 1998, customers active in the previous period 1 Jan 1997 – 30 Jun 1997.');
  });
  test('same period last year, a notice before the data starts, no comparison', () => {
    const lastYear: Comparison = { ...previous, compare: 'last_year', vs: 'vs same period last year' };
    expect(kpiHelp(byId('kpi-win-rate'), undefined, { range, asOf: '2026-12-05', comparison: lastYear }).comparison).toBe('The same period last year, 1 Dec 2024 – 30 Nov 2025.');
    const notice: Comparison = { ...previous, available: false, notice: 'No data before 3 Jan 2025: comparison not available' };
    expect(kpiHelp(byId('kpi-revenue'), undefined, { range, asOf: '2026-12-05', comparison: notice }).comparison).toBe('No data before 3 Jan 2025: comparison not available.');
    expect(kpiHelp(byId('kpi-revenue'), undefined, { range, asOf: '2026-12-05', comparison: { compare: 'none', available: true, vs: '' } }).comparison).toBe('Nothing (no comparison chosen).');
    expect(kpiHelp(byId('kpi-revenue'), undefined, { range, asOf: '2026-12-05' }).definition).toBe('No definition in the semantic layer.');
  });
  test('a snapshot KPI says so and is not compared', () => {
    expect(kpiHelp(byId('kpi-value-at-risk'), { description: 'd' }, { range, asOf: '2026-12-05', comparison: previous })).toEqual({
      definition: 'd',
      period: 'A snapshot as of 5 Dec 2026: the date range does not apply.',
      comparison: 'Nothing: the layer keeps no history of this figure.',
    });
  });
});

describe('kpiValue', () => {
  const lost = byId('kpi-lost-value');
  test('lost value over no lost deals is 0, not missing; with deals it is the sum', () => {
    expect(lost.countOf).toBe('pipeline.lost_deals');
    expect(KPI_MEASURES[lost.source] as readonly string[]).toContain(lost.countOf);
    expect(kpiValue(lost, [{ 'pipeline.lost_value': null, 'pipeline.lost_deals': '0' }])).toBe(0);
    expect(kpiValue(lost, [{ 'pipeline.lost_value': '1250.5', 'pipeline.lost_deals': '2' }])).toBe(1250.5);
  });
  test('without a count or an answer the value stays missing; other cards pass their value through', () => {
    expect(kpiValue(lost, [{ 'pipeline.lost_value': null, 'pipeline.lost_deals': null }])).toBeNull();
    expect(kpiValue(lost, undefined)).toBeUndefined();
    expect(kpiValue(byId('kpi-revenue'), [{ 'sales.revenue': null, 'sales.orders': '0' }])).toBeNull();
    expect(kpiValue(byId('kpi-revenue'), [{ 'sales.revenue': '99.5' }])).toBe('99.5');
  });
});

describe('snapshotNote', () => {
  test('the score cards name the published run\'s as-of day; other snapshots only the dashboard\'s', () => {
    expect(COCKPIT_KPIS.filter((k) => k.scores).map((k) => k.testid).sort()).toEqual(['kpi-avg-clv', 'kpi-value-at-risk']);
    const run = { asOf: '2026-11-30' };
    expect(snapshotNote(byId('kpi-value-at-risk'), 'as of 6 Dec 2026', run)).toBe('as of 6 Dec 2026 (scores as of 30 Nov 2026)');
    expect(snapshotNote(byId('kpi-avg-clv'), 'as of 6 Dec 2026', run)).toBe('as of 6 Dec 2026 (scores as of 30 Nov 2026)');
    expect(snapshotNote(byId('kpi-avg-ltv'), 'as of 6 Dec 2026', run)).toBe('as of 6 Dec 2026');
    // Without a published run nothing is claimed about the scores.
    expect(snapshotNote(byId('kpi-value-at-risk'), 'as of 6 Dec 2026', undefined)).toBe('as of 6 Dec 2026');
  });
});

describe('medians beside the averages of skewed figures', () => {
  const usd = (v: number) => `$${v}`;
  test('AOV and average LTV carry their median, asked in the same query', () => {
    expect(byId('kpi-aov').median).toBe('sales.median_order_value');
    expect(byId('kpi-avg-ltv').median).toBe('customer_base.median_lifetime_value');
    // Session 13: predicted CLV is as skewed (CDNOW: average $29, most customers a few dollars).
    expect(byId('kpi-avg-clv').median).toBe('customer_base.median_predicted_clv');
    for (const k of COCKPIT_KPIS) if (k.median) expect(KPI_MEASURES[k.source] as readonly string[]).toContain(k.median);
    // The Definitions page marks them as the cockpit's too.
    expect(COCKPIT_MEASURES).toEqual(expect.arrayContaining(['sales.median_order_value', 'customer_base.median_lifetime_value']));
  });
  test('the note names the median; none without a value or a median member', () => {
    expect(medianNote(byId('kpi-aov'), [{ 'sales.median_order_value': '26.36' }], usd)).toBe('median $26.36');
    expect(medianNote(byId('kpi-aov'), [{ 'sales.median_order_value': null }], usd)).toBeUndefined();
    expect(medianNote(byId('kpi-revenue'), [{ 'sales.revenue': '10' }], usd)).toBeUndefined();
    expect(joinNotes('median $26', undefined, 'as of 30 Jun 1998')).toBe('median $26 · as of 30 Jun 1998');
    expect(joinNotes(undefined, '')).toBeUndefined();
  });
  test('the deal cards are marked, so a log without deals says none were loaded', () => {
    expect(COCKPIT_KPIS.filter((k) => k.deals).map((k) => k.testid)).toEqual(['kpi-pipeline', 'kpi-win-rate', 'kpi-lost-value']);
  });
});
