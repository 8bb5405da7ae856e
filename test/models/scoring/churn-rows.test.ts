import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FEATURE_NAMES, rowValues } from '../../../models/churn/features.ts';
import { RandomForest } from '../../../models/churn/forest/random-forest.ts';
import { predictBlock } from '../../../models/churn/predict.ts';
import { describeFeature, topicOf, topReasons, type Reason } from '../../../models/churn/reasons.ts';
import { formatMoney } from '../../../lib/format/index.ts';
import { againstPopulation, cohortsOf, populationOf, type Population } from '../../../models/churn/population.ts';
import type { LoadedChurnModel } from '../../../models/churn/registry.ts';
import { churnRowsTsv, isLapsed, pendingRows, pendingRowsTsv, riskBand, tsvReasons, tsvString, type RowContext } from '../../../models/scoring/churn-rows.ts';

/** A seeded LCG, so the data (and so the forest) is the same on every run. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

/**
 * The reasons as they were worded before scoring was split into blocks (topic looked up by name
 * per feature, the text against the population at once): what the scoring path must still write.
 */
function referenceReasons(features: readonly string[], contributions: ArrayLike<number>, values: Record<string, number>, offset: number, population: Population, format: { locale: string; currency: string }): Reason[] {
  const wording: Record<string, string[]> = { recency: ['recency_days', 'overdue_ratio', 'recency_over_max_gap'] };
  const keys: string[] = [];
  const sums: number[] = [];
  const best: string[] = [];
  const bestValue: number[] = [];
  features.forEach((f, j) => {
    const c = contributions[offset + j];
    if (!Number.isFinite(c) || c === 0) return;
    const key = topicOf(f, values);
    let t = keys.indexOf(key);
    if (t < 0) t = keys.push(key) - 1;
    sums[t] = (sums[t] ?? 0) + c;
    if (c > (bestValue[t] ?? -Infinity) && (!wording[key] || wording[key].includes(f))) {
      best[t] = f;
      bestValue[t] = c;
    }
  });
  const out: Reason[] = [];
  const taken = new Set<number>();
  while (out.length < 3) {
    let pick = -1;
    for (let t = 0; t < keys.length; t++) if (!taken.has(t) && sums[t] > 1e-9 && (pick < 0 || sums[t] > sums[pick])) pick = t;
    if (pick < 0) break;
    taken.add(pick);
    const feature = best[pick] || (wording[keys[pick]]?.[0] ?? keys[pick]);
    out.push({ feature, text: againstPopulation(feature, describeFeature(feature, values, format), values[feature], population), contribution: sums[pick] });
  }
  return out;
}

test('rows scored in blocks before the population is known, finished after it, equal the plain path line for line', async () => {
  const rnd = lcg(11);
  const n = 2500;
  const features = [...FEATURE_NAMES];
  const columns = features.map((f, j) =>
    Float64Array.from({ length: n }, () => (j % 4 === 1 && rnd() < 0.15 ? NaN : Math.floor(rnd() * (f.includes('days') ? 500 : f.includes('revenue') ? 40_000 : 9)))),
  );
  const r = features.indexOf('recency_days');
  const y = Uint8Array.from({ length: n }, (_, i) => (columns[r][i] + 150 * rnd() > 300 ? 1 : 0));
  const forest = await RandomForest.train({ columns }, y, { nEstimators: 10, maxDepth: 7, nJobs: 1, seed: 4, featureNames: features });
  const model = { forest, file: { features, modelVersion: 'churn-test', definition: {} } } as unknown as LoadedChurnModel;
  const set = { cutoff: '2025-01-01', features, columns, customerIds: Array.from({ length: n }, (_, i) => `C${i}${i % 9 === 0 ? "\t'" : ''}`) };
  const format = { locale: 'en-GB', currency: 'USD' };
  const ctx: RowContext = { limit: 3, population: populationOf(set), format, head: 'run\t', tail: '\tv\n' };

  // The plain path: the whole set at once, a fresh values record per customer, reasons against the population.
  const whole = predictBlock(model, set);
  let want = '';
  for (let i = 0; i < n; i++) {
    const p = whole.probability[i];
    const reasons = referenceReasons(features, whole.contributions, rowValues(set, i), i * features.length, ctx.population, format);
    // Lapsed: the last order more than the default 365-day window before the cutoff (or none).
    const band = !(columns[r][i] <= 365) ? 'lapsed' : p >= 0.6 ? 'high' : p >= 0.3 ? 'medium' : 'low';
    want += `run\t${tsvString(set.customerIds[i])}\t${p}\t${band}\t${tsvReasons(reasons)}\tv\n`;
  }

  // Uneven blocks, scored without the population; their text finished afterwards in other cuts.
  const cuts = [0, 1, 700, 701, 1999, n];
  const blocks = cuts.slice(1).map((end, k) => pendingRows(model, set, cuts[k], end, 3, format));
  const got = blocks.map((b) => pendingRowsTsv(model, b, 0, Math.floor(b.customerIds.length / 2), ctx) + pendingRowsTsv(model, b, Math.floor(b.customerIds.length / 2), b.customerIds.length, ctx)).join('');
  assert.equal(got, want);
  assert.equal(churnRowsTsv(model, set, 0, n, ctx).text, want);
  assert.ok(want.includes(' than '), 'some reason is worded against the population');
  assert.ok(want.includes('$'), 'amounts carry the currency given');
  assert.match(want, /\tlapsed\t/, 'some customers are lapsed');
  assert.match(want, /\thigh\t/, 'some active customers are high risk');
});

test('lapsed: no placed order in the model\'s active window before the cutoff, whatever the probability', async () => {
  assert.equal(isLapsed(0, 365), false);
  assert.equal(isLapsed(365, 365), false, 'an order exactly 365 days before the cutoff is inside [cutoff − 365 d, cutoff)');
  assert.equal(isLapsed(366, 365), true);
  assert.equal(isLapsed(NaN, 365), true, 'no order at all');
  assert.equal(riskBand(0.99, true), 'lapsed');
  assert.equal(riskBand(0.01, true), 'lapsed');
  assert.equal(riskBand(0.6), 'high');
  assert.equal(riskBand(0.3), 'medium');
  assert.equal(riskBand(0.29), 'low');
  // The window comes from the model's definition: 100 days here, so recency 101 is lapsed.
  const features = ['recency_days', 'tenure_days'];
  const recency = Float64Array.from([5, 100, 101, 400, NaN, 50]);
  const columns = [recency, Float64Array.from([900, 900, 900, 900, 900, 60])];
  const forest = await RandomForest.train({ columns }, Uint8Array.from([0, 0, 1, 1, 1, 0]), { nEstimators: 3, maxDepth: 3, nJobs: 1, seed: 1, featureNames: features });
  const model = { forest, file: { features, modelVersion: 'churn-test', definition: { activeWindowDays: 100 } } } as unknown as LoadedChurnModel;
  const set = { cutoff: '2025-01-01', features, columns, customerIds: ['a', 'b', 'c', 'd', 'e', 'f'] };
  const format = { locale: 'en-GB', currency: 'EUR' };
  const rows = pendingRows(model, set, 0, 6, 2, format);
  assert.deepEqual([...rows.lapsed], [0, 0, 1, 1, 1, 0]);
  const ctx: RowContext = { limit: 2, population: populationOf(set), format, head: '', tail: '\n' };
  const bands = pendingRowsTsv(model, rows, 0, 6, ctx).trim().split('\n').map((l) => l.split('\t')[2]);
  assert.deepEqual(bands.map((b) => b === 'lapsed'), [false, false, true, true, true, false]);
  // A model file without a window (written before it was stored) uses the default 365 days.
  const old = { ...model, file: { ...model.file, definition: {} } } as unknown as LoadedChurnModel;
  assert.deepEqual([...pendingRows(old, set, 0, 6, 2, format).lapsed], [0, 0, 0, 1, 1, 0]);
  assert.throws(() => pendingRows(model, { ...set, features: ['tenure_days', 'x'] }, 0, 6, 2, format), /recency_days/);
});

test('amounts in the reasons are formatMoney\'s (the wording keeps one formatter per format context)', () => {
  for (const format of [{ locale: 'en-GB', currency: 'EUR' }, { locale: 'en-US', currency: 'USD' }, { locale: 'de-DE', currency: 'EUR' }]) {
    for (const v of [0, 0.4, 0.5, 1.5, 99.99, 1234.5, 29065, -17.2, 1e9, NaN]) {
      assert.equal(describeFeature('revenue_365d', { revenue_365d: v }, format), `spent ${formatMoney(v, {}, format)} in the last 12 months`);
    }
  }
});

test('finished rows: a text with its "only " kept or dropped against the population, multi-byte text, and any cut of the rows', async () => {
  // tenure_days is low-is-risk ("customer for only 12 days": "only" stays in the bottom quarter);
  // aov_365d carries a currency sign (multi-byte in UTF-8) beside it.
  const features = ['tenure_days', 'aov_365d'];
  const n = 400;
  const columns = [Float64Array.from({ length: n }, (_, i) => i % 200), Float64Array.from({ length: n }, (_, i) => (i * 37) % 500)];
  const y = Uint8Array.from({ length: n }, (_, i) => (i % 200 < 60 ? 1 : 0));
  const forest = await RandomForest.train({ columns }, y, { nEstimators: 5, maxDepth: 4, nJobs: 1, seed: 2, featureNames: features });
  const model = { forest, file: { features, modelVersion: 'churn-test', definition: {} } } as unknown as LoadedChurnModel;
  // recency_days (not a model feature here) tells lapsed customers: all bought within the window.
  const set = { cutoff: '2025-01-01', features: [...features, 'recency_days'], columns: [...columns, Float64Array.from({ length: n }, (_, i) => i % 300)], customerIds: Array.from({ length: n }, (_, i) => `Ç${i}`) };
  const format = { locale: 'en-GB', currency: 'EUR' };
  const population = populationOf({ features, columns });
  const ctx: RowContext = { limit: 3, population, format, head: 'rün\t', tail: '\tv€\n' };
  const whole = predictBlock(model, set);
  let want = '';
  for (let i = 0; i < n; i++) {
    const p = whole.probability[i];
    const reasons = referenceReasons(features, whole.contributions, rowValues(set, i), i * features.length, population, format);
    want += `rün\t${tsvString(set.customerIds[i])}\t${p}\t${riskBand(p)}\t${tsvReasons(reasons)}\tv€\n`;
  }
  assert.match(want, /customer for only \d+ days — newer than/, 'some text keeps its "only"');
  assert.match(want, /customer for \d+ days — newer than/, 'some text loses it');
  assert.match(want, /€/);
  const rows = pendingRows(model, set, 0, n, 3, format);
  const cuts = [0, 1, 2, 150, 151, 399, n];
  assert.equal(cuts.slice(1).map((end, k) => pendingRowsTsv(model, rows, cuts[k], end, ctx)).join(''), want);
});

test('a reason named outside the model\'s features (the stack\'s forecast reads as the expected purchases) is compared with the population as the plain path compares it', async () => {
  // The stack's inputs; the set carries the other columns scoring loads (expected purchases, the gap between purchase days).
  const features = ['bgnbd_logodds_no_purchase', 'recency_days', 'orders_total'];
  const rnd = lcg(23);
  const n = 600;
  const logOdds = Float64Array.from({ length: n }, () => (rnd() - 0.5) * 6);
  const columns = [logOdds, Float64Array.from({ length: n }, () => Math.floor(rnd() * 300)), Float64Array.from({ length: n }, () => 1 + Math.floor(rnd() * 9))];
  const expected = Float64Array.from(logOdds, (l) => Math.max(0, 1.5 - l / 2) * rnd());
  const gap = Float64Array.from({ length: n }, () => 10 + Math.floor(rnd() * 90));
  const y = Uint8Array.from(logOdds, (l) => (l + rnd() - 0.5 > 0 ? 1 : 0));
  const forest = await RandomForest.train({ columns }, y, { nEstimators: 8, maxDepth: 5, nJobs: 1, seed: 3, featureNames: features });
  const model = { forest, file: { features, modelVersion: 'churn-test', definition: { horizonDays: 90 } } } as unknown as LoadedChurnModel;
  const set = { cutoff: '2025-01-01', features: [...features, 'bgnbd_expected_purchases', 'purchase_day_gap_days'], columns: [...columns, expected, gap], customerIds: Array.from({ length: n }, (_, i) => `S${i}`) };
  const format = { locale: 'en-GB', currency: 'EUR' };
  const population = populationOf(set);
  const ctx: RowContext = { limit: 3, population, format, head: 'run\t', tail: '\n' };
  const whole = predictBlock(model, set);
  let want = '';
  for (let i = 0; i < n; i++) {
    const p = whole.probability[i];
    const reasons = topReasons(features, whole.contributions, { ...rowValues(set, i), horizon_days: 90 }, 3, i * features.length, population, format, null);
    want += `run\t${tsvString(set.customerIds[i])}\t${p}\t${riskBand(p)}\t${tsvReasons(reasons)}\n`;
  }
  assert.match(want, /\('bgnbd_expected_purchases','expected [\d.]+ purchase days in the next 90 days, usually [\d.]+ purchase days — fewer than \d+% of customers'/, 'some forecast reason is compared on the expected purchases');
  assert.doesNotMatch(want, /bgnbd_logodds_no_purchase'|chance/);
  const rows = pendingRows(model, set, 0, n, 3, format);
  assert.equal([0, 250, n].slice(1).map((end, k) => pendingRowsTsv(model, rows, [0, 250][k], end, ctx)).join(''), want);
});

// Numbers a user could misread, ninth pass (2026-12-07): a reason past the model's reference
// median but not the population's had no direction ("16 orders so far" as a churn reason on CDNOW,
// where most buyers bought once or twice and the low-risk customers' median is 17 orders).
test('with the model\'s reference medians, scoring writes the reference words as topReasons does, in any cut of the rows', async () => {
  const features = ['tenure_days', 'recency_days'];
  const n = 400;
  // tenure 0…199 days twice over; recency 0…299 days (all within the active window).
  const columns = [Float64Array.from({ length: n }, (_, i) => i % 200), Float64Array.from({ length: n }, (_, i) => (i * 7) % 300)];
  const y = Uint8Array.from({ length: n }, (_, i) => (i % 200 < 120 || (i * 7) % 300 > 150 ? 1 : 0));
  const forest = await RandomForest.train({ columns }, y, { nEstimators: 6, maxDepth: 4, nJobs: 1, seed: 5, featureNames: features });
  // Reference medians past the population's (tenure 99.5, recency 149.5): the low-risk customers are
  // older (150 days) and bought more recently (40 days).
  const medians = { tenure_days: 150, recency_days: 40 };
  const model = { forest, file: { features, modelVersion: 'churn-test', definition: {}, predictor: { model: { kind: 'forest' }, reference: { medians } } } } as unknown as LoadedChurnModel;
  const set = { cutoff: '2025-01-01', features, columns, customerIds: Array.from({ length: n }, (_, i) => `R${i}`) };
  const format = { locale: 'en-GB', currency: 'EUR' };
  const population = populationOf({ features, columns });
  const ctx: RowContext = { limit: 3, population, format, head: 'run\t', tail: '\n' };
  const whole = predictBlock(model, set);
  let want = '';
  for (let i = 0; i < n; i++) {
    const p = whole.probability[i];
    const reasons = topReasons(features, whole.contributions, rowValues(set, i), 3, i * features.length, population, format, medians);
    want += `run\t${tsvString(set.customerIds[i])}\t${p}\t${riskBand(p)}\t${tsvReasons(reasons)}\n`;
  }
  // A tenure of 100-149 days: older than half the population (no share quoted), newer than the median low-risk customer.
  assert.match(want, /customer for 1[0-4]\d days — newer than the median low-risk customer'/);
  // A silence of 41-149 days: shorter than half the population's, longer than the median low-risk customer's.
  assert.match(want, /no purchase for (4[1-9]|[5-9]\d|1[0-4]\d) days — longer than the median low-risk customer'/);
  assert.doesNotMatch(want, /median low-risk customer — /);
  const rows = pendingRows(model, set, 0, n, 3, format);
  const cuts = [0, 1, 77, 200, n];
  assert.equal(cuts.slice(1).map((end, k) => pendingRowsTsv(model, rows, cuts[k], end, ctx)).join(''), want);
});

// Numbers a user could misread, tenth pass (2026-12-07): on the CDNOW sample 65% of the scored
// customers are lapsed, so against everyone an active customer's silence was never longer than half
// of them. Each customer is now placed among the customers in the same state, and the text says so.
test('an active customer is compared with the active customers and a lapsed one with the lapsed, the text naming which', async () => {
  const features = ['recency_days', 'orders_total'];
  const n = 500;
  // Two fifths active (silences of 0…199 days), three fifths lapsed (400…999 days), as on CDNOW.
  const recency = Float64Array.from({ length: n }, (_, i) => (i % 5 < 2 ? (i * 13) % 200 : 400 + ((i * 17) % 600)));
  const orders = Float64Array.from({ length: n }, (_, i) => 1 + ((i * 7) % 9));
  const y = Uint8Array.from(recency, (d, i) => (d > 120 || orders[i] < 3 ? 1 : 0));
  const forest = await RandomForest.train({ columns: [recency, orders] }, y, { nEstimators: 6, maxDepth: 4, nJobs: 1, seed: 7, featureNames: features });
  const model = { forest, file: { features, modelVersion: 'churn-test', definition: { activeWindowDays: 365 } } } as unknown as LoadedChurnModel;
  const set = { cutoff: '2025-01-01', features, columns: [recency, orders], customerIds: Array.from({ length: n }, (_, i) => `C${i}`) };
  const lapsed = Uint8Array.from(recency, (d) => (isLapsed(d, 365) ? 1 : 0));
  const cohorts = cohortsOf(set, lapsed);
  const ctx: RowContext = { limit: 2, population: cohorts.active, lapsedPopulation: cohorts.lapsed, format: { locale: 'en-GB', currency: 'EUR' }, head: '', tail: '\n' };
  const rows = pendingRows(model, set, 0, n, 2, ctx.format);
  const lines = [0, 130, n].slice(1).map((end, k) => pendingRowsTsv(model, rows, [0, 130][k], end, ctx)).join('').split('\n');
  // The shares counted here, apart from population.ts: among the rows in the same state.
  const share = (i: number, column: Float64Array, below: boolean): number => {
    const same = [...column.keys()].filter((j) => lapsed[j] === lapsed[i]);
    return Math.floor((100 * same.filter((j) => (below ? column[j] < column[i] : column[j] > column[i])).length) / same.length);
  };
  const seen = { active: 0, lapsed: 0 };
  for (let i = 0; i < n; i++) {
    const who = lapsed[i] ? 'lapsed' : 'active';
    for (const m of lines[i].matchAll(/\('(recency_days|orders_total)','([^']*)'/g)) {
      const high = m[1] === 'recency_days';
      const p = share(i, high ? recency : orders, high);
      if (p >= 50) {
        assert.ok(m[2].endsWith(` — ${high ? 'longer' : 'fewer'} than ${p}% of ${who} customers`), `C${i} (${who}, ${p}%): ${m[2]}`);
        seen[who]++;
      } else assert.doesNotMatch(m[2], /% of/, `C${i} (${who}, ${p}%): ${m[2]}`);
    }
  }
  assert.ok(seen.active > 20 && seen.lapsed > 20, `shares checked: ${JSON.stringify(seen)}`);
  // The longest active silence (199 days) is longer than almost every active customer's, which
  // against everyone (60% lapsed, all longer) was under half and quoted no share.
  const longest = recency.indexOf(Math.max(...recency.filter((_, j) => !lapsed[j])));
  assert.ok(share(longest, recency, true) >= 98);
  assert.ok(Math.floor((100 * recency.filter((d) => d < recency[longest]).length) / n) < 50);
});
