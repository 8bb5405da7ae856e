/**
 * A label must say what the SQL computes (issue 15 and its review): static checks of the Cube
 * model's measure labels (meta.label, what the dashboard's cards, tables and the Definitions page
 * show) against their definitions. No server needed.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CHURN_DEFINITION } from '../../models/churn/definition.ts';
import { DEFAULT_MODEL_PATH } from '../../semantic/server.ts';

const cubeRequire = createRequire(createRequire(import.meta.url).resolve('@cubejs-backend/schema-compiler'));
const yaml = cubeRequire('js-yaml') as { load(text: string): unknown };

interface Measure { name: string; type: string; sql?: string; description?: string; meta?: { label?: string } }
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.yml') ? [join(dir, e.name)] : []));
const measures = files(join(DEFAULT_MODEL_PATH, 'cubes')).flatMap((f) =>
  ((yaml.load(readFileSync(f, 'utf8')) as { cubes?: { name: string; measures?: Measure[] }[] }).cubes ?? []).flatMap((c) =>
    (c.measures ?? []).map((m) => ({ cube: c.name, ...m, label: m.meta?.label ?? '' })),
  ),
);

test('the model has the measures these checks are about', () => {
  for (const id of ['customer_value.churn_rate', 'churn_risk.avg_churn_probability', 'predicted_value.avg_predicted_clv']) {
    assert.ok(measures.some((m) => `${m.cube}.${m.name}` === id), id);
  }
});

test('"churn" in a label is the churn model’s (churn_risk): the 180-day lapse share is not called a churn rate', () => {
  // customer_base.churn_rate is buyers without a paid order in 180 days ÷ buyers — no model. Next to
  // "Average churn probability" and the Models page's training churn rate, "Churn rate" named a
  // third figure with the same word.
  const misnamed = measures.filter((m) => /churn/i.test(m.label) && m.cube !== 'churn_risk').map((m) => `${m.cube}.${m.name}: "${m.label}"`);
  assert.deepEqual(misnamed, []);
  const lapse = measures.find((m) => m.cube === 'customer_value' && m.name === 'churn_rate')!;
  assert.match(lapse.label, /180 days/, 'the window is in the label');
  assert.match(lapse.description ?? '', /180 days/);
});

test('"lapsed" is the churn model’s state only: the 180-day figures are dormant, and say they are not it', () => {
  // The cockpit's "Lapse rate" card drilled to "Lapsed customers" (180 days) while the churn page's
  // lapsed count is the model's (its active window, 365 days by default): two counts, one word.
  const lapsedOutside = measures.filter((m) => /laps/i.test(m.label) && m.cube !== 'churn_risk').map((m) => `${m.cube}.${m.name}: "${m.label}"`);
  assert.deepEqual(lapsedOutside, []);
  const byName = (name: string) => measures.find((m) => m.cube === 'customer_value' && m.name === name)!;
  assert.equal(byName('dormant_customers').label, 'Dormant customers (no order in 180 days)');
  assert.equal(byName('dormancy_rate').label, 'Dormancy rate (no order in 180 days)');
  for (const name of ['dormant_customers', 'dormancy_rate']) {
    assert.match(byName(name).description ?? '', /180 days before value_as_of/);
    assert.match(byName(name).description ?? '', /Not the churn model's .*lapsed/, `${name} says it is not the model's lapsed`);
  }
  // The old names stay as aliases of the same numbers, and say they are deprecated.
  assert.equal(byName('churned_customers').sql, '{dormant_customers}');
  assert.equal(byName('churn_rate').sql, '{dormancy_rate}');
  for (const name of ['churned_customers', 'churn_rate']) assert.match(byName(name).description ?? '', /^Deprecated name of dorman/);
  // The model's lapsed members name their window as the model's.
  const lapsed = measures.find((m) => m.cube === 'churn_risk' && m.name === 'lapsed_customers')!;
  assert.match(lapsed.description ?? '', /churn model's active window \(365 days unless the model says otherwise\)/);
});

test('averages say so, and predicted CLV names its 12-month horizon', () => {
  for (const m of measures.filter((x) => x.type === 'avg')) assert.match(m.label, /^Average /, `${m.cube}.${m.name}: "${m.label}" is a mean`);
  // "Predicted CLV (total)" says 12-month; its average said only "predicted CLV" beside the historical LTV.
  for (const m of measures.filter((x) => /clv_12m/.test(x.sql ?? '') && /CLV/.test(x.label))) assert.match(m.label, /12-month/, `${m.cube}.${m.name}: "${m.label}" is a 12-month prediction`);
});

test('a count that leaves customers out for their consent says so in its definition', () => {
  // churn_risk shows no score for a customer who withdrew profiling consent: "Scored customers"
  // was defined as "Customers with a churn score", and the page said nothing of who is missing.
  const cubes = files(join(DEFAULT_MODEL_PATH, 'cubes')).flatMap((f) => (yaml.load(readFileSync(f, 'utf8')) as { cubes?: { name: string; sql?: string }[] }).cubes ?? []);
  const excluding = cubes.filter((c) => /consent_current/.test(c.sql ?? '')).map((c) => c.name);
  assert.ok(excluding.includes('churn_risk'));
  for (const m of measures.filter((x) => excluding.includes(x.cube) && x.type === 'count')) {
    assert.match(m.description ?? '', /profiling consent/, `${m.cube}.${m.name}: "${m.description}"`);
  }
});

test('revenue says gross or net in its label: before refunds is gross, refunds out is net', () => {
  // "Revenue" on the cockpit was the paid orders' value before refunds, beside "Net revenue" on the
  // RFM chart: the two differ by every refund, and nothing on the card said which it was.
  const gross = measures.filter((m) => /before refunds/i.test(m.description ?? ''));
  assert.ok(gross.some((m) => m.cube === 'paid_orders' && m.name === 'revenue'), 'sales.revenue is defined as before refunds');
  for (const m of gross) assert.match(m.label, /gross/i, `${m.cube}.${m.name}: "${m.label}" is before refunds`);
  const net = measures.filter((m) => /revenue/i.test(m.label) && /net revenue|refunds out/i.test(m.description ?? ''));
  assert.ok(net.length >= 3, net.map((m) => m.name).join());
  for (const m of net) assert.match(m.label, /\bnet\b/i, `${m.cube}.${m.name}: "${m.label}" is after refunds`);
});

test('the churn probability says what churn is: no purchase in the model horizon, whose default is the code’s', () => {
  // "Model probability that the customer churns" named no window: within a quarter, a year, ever?
  // churn_probability is a dimension (one customer's), expected_churners a measure.
  const churnRisk = files(join(DEFAULT_MODEL_PATH, 'cubes'))
    .flatMap((f) => (yaml.load(readFileSync(f, 'utf8')) as { cubes?: { name: string; measures?: Measure[]; dimensions?: Measure[] }[] }).cubes ?? [])
    .find((c) => c.name === 'churn_risk')!;
  const byName = (n: string) => [...(churnRisk.dimensions ?? []), ...(churnRisk.measures ?? [])].find((m) => m.name === n)!;
  for (const n of ['churn_probability', 'expected_churners']) {
    assert.match(byName(n).description ?? '', /no purchase in the churn model's horizon after the scores' as-of day/, n);
  }
  const days = /\((\d+) days unless/.exec(byName('churn_probability').description ?? '')?.[1];
  assert.equal(Number(days), DEFAULT_CHURN_DEFINITION.horizonDays, 'the default horizon the description names is the model’s');
});
