/**
 * Benchmark: end-to-end churn scoring (issue 14: 1M customers in ≤ 30 s) — feature SQL, forest
 * probabilities and contributions, reasons, insert into churn_scores — on a warehouse generated in
 * SQL (`INSERT … SELECT FROM numbers()`: a million customers load in seconds, where the JS fixture
 * of churn-warehouse.ts needs ~20 s per 20k). Prints where the time goes, rows/s and the ratio to
 * the goal; the model part is also broken down (predictProba alone, the contributions kernels).
 *
 *   tsx models/bench/score-churn.ts [--customers 200000] [--today 2025-01-01] [--keep DIR] [--shards N] [--workers N] [--help]
 *
 * The data: every customer buys every 7–96 days from a first order 60–760 days back (at most 30
 * orders); 45% stop at a random day (the churn signal recency sees); six interactions each. The
 * model is the product's forest settings trained on 30k of them at today − horizon. A run at a
 * size below 1M extrapolates linearly and says so (the feature query and the inserts grow about
 * linearly with customers; the fixed costs make small runs look slower, not faster).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { WarehouseConfig } from '../../lib/config.ts';
import { connectWarehouse, type Warehouse } from '../../lib/warehouse/index.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { addDays, resolveDefinition } from '../churn/definition.ts';
import { explainRows } from '../churn/explain.ts';
import { loadFeatures, rowValues } from '../churn/features.ts';
import { cohortsOf } from '../churn/population.ts';
import { predictBlock } from '../churn/predict.ts';
import { topReasons } from '../churn/reasons.ts';
import { treePathContributions } from '../churn/forest/contributions.ts';
import { RandomForest } from '../churn/forest/random-forest.ts';
import { newModelVersion, type LoadedChurnModel } from '../churn/registry.ts';
import { DEFAULT_FOREST_OPTIONS, matrixOf } from '../churn/train.ts';
import { Readable } from 'node:stream';
import { riskBand, scoreChurn, tsvReasons, tsvString, type ChurnScoreRow, type RiskBand } from '../scoring/score-churn.ts';
import { newRunId } from '../scoring/runs.ts';
import { defaultRowWorkers } from '../scoring/row-workers.ts';

const HELP = `score-churn bench: end-to-end churn scoring on a SQL-generated warehouse.

  --customers N   customers to generate and score (default 200000; the goal is stated for 1000000)
  --today DAY     scoring cutoff, YYYY-MM-DD (default 2025-01-01)
  --shards N      feature queries the population is read in (scoreChurn's shards; default
                  DEFAULT_SHARDS): each shard is scored while the engine computes the next; 1 = one query
  --workers N    worker threads that score the blocks (scoreChurn's workers; default one per core,
                  at most 4); 0 scores every block on the main thread, as before the workers: the
                  two on the same kept warehouse, one after the other, are a same-minutes pair
  --keep DIR      keep the warehouse in DIR; a later run with the same DIR and size reuses it, and
                  checks that the scores and reasons are identical to the first run's (the digest
                  is kept in DIR/scores.digest; delete it to take a new reference after a
                  deliberate change to the model, the features or the reasons' wording)
`;

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '200000' },
    today: { type: 'string', default: '2025-01-01' },
    keep: { type: 'string' },
    shards: { type: 'string' },
    workers: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const customers = Number(args.customers);
if (!Number.isInteger(customers) || customers < 1000) throw new RangeError(`--customers must be an integer >= 1000, got "${args.customers}"`);
const today = args.today!;
const shards = args.shards === undefined ? undefined : Number(args.shards);
if (shards !== undefined && !(Number.isInteger(shards) && shards >= 1)) throw new RangeError(`--shards must be an integer >= 1, got "${args.shards}"`);
const workers = args.workers === undefined ? undefined : Number(args.workers);
if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0)) throw new RangeError(`--workers must be an integer >= 0, got "${args.workers}"`);
const GOAL_SECONDS = 30;
const GOAL_CUSTOMERS = 1_000_000;
const TRAIN_SAMPLE = 30_000;

/** Customers, orders and interactions for customer numbers [0, n), deterministic (cityHash64). */
async function generate(wh: Warehouse, n: number): Promise<void> {
  const params = { n, today };
  const base = `SELECT number AS k, concat('C', leftPad(toString(number), 8, '0')) AS id,
      toInt64(60 + cityHash64(number, 1) % 700) AS first_ago, toInt64(7 + cityHash64(number, 2) % 90) AS gap,
      if(cityHash64(number, 3) % 100 < 45, toInt64(cityHash64(number, 4) % (60 + cityHash64(number, 1) % 700)), 0) AS stop_ago
    FROM numbers({n:UInt64})`;
  await wh.client.command({
    query: `INSERT INTO customers (customer_id, customer_type, name, version)
      SELECT id, if(cityHash64(k, 9) % 5 = 0, 'business', 'person'), concat('Customer ', toString(k)), 1 FROM (${base})`,
    query_params: params,
  });
  await wh.client.command({
    query: `INSERT INTO transactions (source, transaction_id, order_id, customer_id, customer_ref, order_date, status, amount, quantity, version)
      SELECT 'bench', concat(id, '-T', toString(j)), concat(id, '-O', toString(j)), id, id,
        addSeconds(toDateTime({today:Date}), -((first_ago - j * gap) * 86400) + toInt64(cityHash64(k, j, 5) % 86000)),
        if(cityHash64(k, j, 7) % 33 = 0, 'refunded', 'completed'), toDecimal64(10 + (cityHash64(k, j, 6) % 30000) / 100, 2), 1, 1
      FROM (${base}) ARRAY JOIN range(toUInt64(least(30, intDiv(first_ago, gap) + 1))) AS j
      WHERE first_ago - j * gap > stop_ago`,
    query_params: params,
  });
  await wh.client.command({
    query: `INSERT INTO interactions (source, interaction_id, customer_id, customer_ref, occurred_at, type, csat, version)
      SELECT 'bench', concat(id, '-I', toString(j)), id, id,
        addSeconds(toDateTime({today:Date}), -toInt64((1 + cityHash64(k, j, 11) % 400) * 86400)),
        ['email_sent', 'email_open', 'web_visit', 'support_ticket', 'complaint', 'call'][1 + cityHash64(k, j, 12) % 6] AS t,
        if(t IN ('support_ticket', 'complaint'), toNullable(toUInt8(1 + cityHash64(k, j, 13) % 5)), NULL), 1
      FROM (${base}) ARRAY JOIN range(6) AS j`,
    query_params: params,
  });
}

const s = (sec: number): string => `${sec.toFixed(1)} s`;
const dir = args.keep ?? mkdtempSync(join(tmpdir(), 'score-bench-'));
const config: WarehouseConfig = { user: 'bench', password: `bench-${process.pid}`, database: 'crm', dataDir: dir, embeddedPort: 0 };
const admin = await connectWarehouse({ config, withDatabase: false });
await admin.client.command({ query: 'CREATE DATABASE IF NOT EXISTS crm' });
await applyMigrations(admin.client, { database: 'crm' });
// Generating a million customers' orders is one INSERT … SELECT of minutes on a loaded machine: the
// client's default 300 s request timeout cut it (6 Dec 2026, load 25–31); half an hour instead.
const wh = await connectWarehouse({ config, requestTimeout: 1_800_000 });
try {
  console.log(
    `machine: ${cpus().length} CPUs, load average ${loadavg().map((v) => v.toFixed(1)).join(' ')} (wall-clock timings); ` +
      `scoring workers: ${workers === undefined ? `default (${defaultRowWorkers()})` : workers === 0 ? '0 (main thread)' : workers}`,
  );
  const count = async (table: string): Promise<number> =>
    Number((await (await wh.client.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' })).json<{ n: string }>())[0].n);
  let t0 = performance.now();
  if ((await count('customers')) === customers) {
    console.log(`data:    reusing the ${customers} customers in ${dir}`);
  } else {
    if ((await count('customers')) > 0) throw new Error(`${dir} holds another size; use a fresh --keep directory`);
    await generate(wh, customers);
    console.log(`data:    ${customers} customers, ${await count('transactions')} order lines, ${await count('interactions')} interactions generated in ${s((performance.now() - t0) / 1000)}`);
  }

  const definition = resolveDefinition();
  const trainCutoff = addDays(today, -definition.horizonDays);
  t0 = performance.now();
  const sample = Array.from({ length: Math.min(TRAIN_SAMPLE, customers) }, (_, i) => `C${String(Math.floor((i * customers) / Math.min(TRAIN_SAMPLE, customers))).padStart(8, '0')}`);
  const train = await loadFeatures(wh, { cutoff: trainCutoff, definition, withLabels: true, customerIds: sample });
  const forest = await RandomForest.train(matrixOf(train), train.labels!, { ...DEFAULT_FOREST_OPTIONS, featureNames: train.features });
  console.log(`model:   product forest settings on ${train.customerIds.length} customers at ${trainCutoff}: ${forest.nTrees} trees, ${forest.nNodes} nodes (${s((performance.now() - t0) / 1000)})`);
  const model: LoadedChurnModel = {
    forest,
    file: {
      format: 'ci-churn-model',
      formatVersion: 1,
      modelVersion: newModelVersion('churn', trainCutoff),
      model: 'churn',
      trainedAt: new Date().toISOString(),
      cutoff: trainCutoff,
      features: train.features,
      definition,
      metrics: {},
      params: {},
      forest: forest.toJSON(),
    },
  };

  // chdb runs in this process: its CPU time counts here too (a loaded machine inflates wall time).
  const cpu0 = process.cpuUsage();
  const r = await scoreChurn(wh, { runId: newRunId(today), today, model, shards, workers });
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const tm = r.timings;

  // Scores and reasons must not change when scoring gets faster: a digest of every written row
  // (customer, exact probability bits, band, reasons with their contributions; not the scoring
  // time) is compared with the first run on the same kept warehouse.
  const digestRows = await (
    await wh.client.query({
      query: `SELECT count() AS n, toString(sum(cityHash64(customer_id, reinterpretAsUInt64(probability), risk_band, toString(top_reasons)))) AS h
        FROM churn_scores_runs WHERE scored_at = parseDateTime64BestEffort({at:String}, 3)`,
      query_params: { at: r.scoredAt },
      format: 'JSONEachRow',
    })
  ).json<{ n: string; h: string }>();
  const digest = `${digestRows[0].n} rows, ${digestRows[0].h}`;
  if (Number(digestRows[0].n) !== r.customers) throw new Error(`churn_scores holds ${digestRows[0].n} rows of this run, expected ${r.customers}`);
  const digestFile = join(dir, 'scores.digest');
  if (args.keep && existsSync(digestFile)) {
    const want = readFileSync(digestFile, 'utf8').trim();
    if (want !== digest) throw new Error(`scores or reasons changed: digest ${digest}, the reference run in ${digestFile} had ${want}`);
    console.log(`check:   scores and reasons identical to the reference run (${digest})`);
  } else {
    if (args.keep) writeFileSync(digestFile, `${digest}\n`);
    console.log(`check:   digest of the written scores and reasons ${digest}${args.keep ? ` (kept as the reference in ${digestFile})` : ''}`);
  }
  const perSecond = r.customers / r.seconds;
  console.log(
    `scoring: ${r.customers} customers end to end in ${s(r.seconds)} = ${Math.round(perSecond)} rows/s ` +
      `(features read ${s(tm.featuresSeconds)} from the start, blocks scored meanwhile; this thread scoring ${s(tm.modelSeconds)} in all; insert waits ${s(tm.insertSeconds)}); ` +
      `${s(cpuS)} of CPU in this process (engine included)`,
  );
  const pc = r.cpuSeconds;
  console.log(`cpu:     until the features were read (engine, reading, blocks scored meanwhile) ${s(pc.features)}, scoring after that (population, text) ${s(pc.model)}, insert waits ${s(pc.insert)} (CPU seconds, all threads)`);

  // The model part alone, on the same matrix: what the forest kernels cost. CPU time, the best
  // of three runs: on a shared machine wall-clock times of single-threaded kernels mostly measure
  // the other jobs.
  const x = await loadFeatures(wh, { cutoff: today, definition, population: 'buyers' });
  const cols = matrixOf(x);

  // The same run's rows against the plain path (a fresh values record per customer, the whole
  // population, rows read back from the engine): every probability, band, reason text and
  // contribution bit for bit, so a faster insert format or scoring loop cannot change what is stored.
  {
    const names = model.file.features;
    // Lapsed as the model's definition says: the last order more than its active window before the
    // cutoff; each customer's reasons against the customers in the same state.
    const recency = x.columns[x.features.indexOf('recency_days')];
    const window = model.file.definition?.activeWindowDays ?? 365;
    const cohorts = cohortsOf(x, Uint8Array.from(recency, (d) => (d <= window ? 0 : 1)));
    const bandOf = (i: number, p: number): RiskBand => (recency[i] <= window ? riskBand(p) : 'lapsed');
    const BLOCK = 50_000;
    let compared = 0;
    const sampleRows: ChurnScoreRow[] = [];
    for (let start = 0; start < x.customerIds.length; start += BLOCK) {
      const end = Math.min(x.customerIds.length, start + BLOCK);
      const stored = await (
        await wh.client.query({
          query: `SELECT customer_id, probability, risk_band, arrayMap(r -> r.1, top_reasons) AS f, arrayMap(r -> r.2, top_reasons) AS t,
              arrayMap(r -> r.3, top_reasons) AS c
            FROM churn_scores_runs WHERE scored_at = parseDateTime64BestEffort({at:String}, 3) AND customer_id BETWEEN {a:String} AND {b:String}
            ORDER BY customer_id`,
          query_params: { at: r.scoredAt, a: x.customerIds[start], b: x.customerIds[end - 1] },
          format: 'JSONEachRow',
        })
      ).json<{ customer_id: string; probability: number; risk_band: string; f: string[]; t: string[]; c: number[] }>();
      if (stored.length !== end - start) throw new Error(`churn_scores holds ${stored.length} rows for customers ${start}–${end - 1}, expected ${end - start}`);
      const want = predictBlock(model, x, start, end);
      // Scoring measures the reasons' direction against the training medians (reasons.ts pickReasons).
      const medians = model.file.predictor?.reference?.medians ?? null;
      for (let i = start; i < end; i++) {
        const got = stored[i - start];
        const p = want.probability[i - start];
        const reasons = topReasons(names, want.contributions, rowValues(x, i), 3, (i - start) * names.length, recency[i] <= window ? cohorts.active : cohorts.lapsed, undefined, medians);
        const same =
          got.customer_id === x.customerIds[i] &&
          Object.is(got.probability, p) &&
          got.risk_band === bandOf(i, p) &&
          got.f.length === reasons.length &&
          reasons.every((w, k) => got.f[k] === w.feature && got.t[k] === w.text && Object.is(got.c[k], w.contribution));
        if (start === 0)
          sampleRows.push({ customer_id: x.customerIds[i], probability: p, risk_band: bandOf(i, p), top_reasons: reasons, model_version: model.file.modelVersion, cutoff: today, scored_at: r.scoredAt });
        if (!same) throw new Error(`stored score of ${x.customerIds[i]} differs from the plain path: ${JSON.stringify(got)} vs ${p} ${JSON.stringify(reasons)}`);
        compared++;
      }
    }
    console.log(`check:   ${compared} stored rows equal the plain scoring path bit for bit (probability, band, reasons, contributions)`);

    // The insert formats side by side in this run, on the same rows into a copy of churn_scores:
    // JSONEachRow (what scoring sent before) against TabSeparated (what it sends now). CPU of this
    // process, engine included, the best of three alternating rounds.
    await wh.client.command({ query: 'CREATE TABLE IF NOT EXISTS churn_scores_format_probe AS churn_scores' });
    const settings = { date_time_input_format: 'best_effort' as const };
    const tsvBody = (): Readable => {
      const tail = `\t${tsvString(model.file.modelVersion)}\t${today}\t${r.scoredAt}\n`;
      const lines = sampleRows.map((row) => `${tsvString(row.customer_id)}\t${row.probability}\t${row.risk_band}\t${tsvReasons(row.top_reasons)}${tail}`);
      return Readable.from([Buffer.from(lines.join(''), 'utf8')], { objectMode: false });
    };
    const best = { json: Infinity, tsv: Infinity };
    for (let round = 0; round < 3; round++) {
      let c0 = process.cpuUsage();
      await wh.client.insert({ table: 'churn_scores_format_probe', values: sampleRows, format: 'JSONEachRow', clickhouse_settings: settings });
      let c = process.cpuUsage(c0);
      best.json = Math.min(best.json, (c.user + c.system) / 1e6);
      c0 = process.cpuUsage();
      await wh.client.insert({ table: 'churn_scores_format_probe', values: tsvBody(), format: 'TabSeparated', clickhouse_settings: settings });
      c = process.cpuUsage(c0);
      best.tsv = Math.min(best.tsv, (c.user + c.system) / 1e6);
    }
    await wh.client.command({ query: 'DROP TABLE churn_scores_format_probe' });
    console.log(
      `inserts: ${sampleRows.length} rows into churn_scores (CPU, best of 3): JSONEachRow ${best.json.toFixed(2)} s, TabSeparated ${best.tsv.toFixed(2)} s = ` +
        `${(best.tsv / best.json).toFixed(2)}× (building the TSV text included)`,
    );
  }
  const cpuOf = (fn: () => unknown): number => {
    let best = Infinity;
    for (let k = 0; k < 3; k++) {
      const c0 = process.cpuUsage();
      fn();
      const c = process.cpuUsage(c0);
      best = Math.min(best, (c.user + c.system) / 1e6);
    }
    return best;
  };
  const probaS = cpuOf(() => forest.predictProba(cols));
  const explainS = cpuOf(() => explainRows(forest, cols));
  const contribS = cpuOf(() => treePathContributions(forest, cols));
  console.log(
    `kernels (CPU, best of 3, ${x.customerIds.length} rows): predictProba ${s(probaS)}, treePathContributions ` +
      `(probability + contributions, what scoring calls) ${s(contribS)}, explainRows (same numbers, plain per-row walk) ${s(explainS)}`,
  );

  const scale = GOAL_CUSTOMERS / r.customers;
  const projected = r.seconds * scale;
  console.log('\nsummary');
  console.log(
    `  end-to-end scoring: ${Math.round(perSecond)} rows/s; ${GOAL_CUSTOMERS} customers ${scale === 1 ? 'took' : `≈ ${s(projected)} (linear extrapolation from ${r.customers}:`} ` +
      `${scale === 1 ? s(r.seconds) : 'not measured at 1M)'} against the goal of ${GOAL_SECONDS} s: ${(projected / GOAL_SECONDS).toFixed(2)}× the goal ${projected <= GOAL_SECONDS ? 'ok' : 'MISSED'}`,
  );
  const cpuPerGoal = cpuS * scale;
  console.log(
    `  CPU: ${s(cpuS)} for ${r.customers} customers ≈ ${s(cpuPerGoal)} per ${GOAL_CUSTOMERS} (engine included): on an idle machine of ${cpus().length} cores ` +
      `at least ${s(cpuPerGoal / cpus().length)} of wall time even if every phase used every core, ${(cpuPerGoal / cpus().length / GOAL_SECONDS).toFixed(2)}× the goal`,
  );
  console.log(
    `  share of the wall time: until the features were read ${((100 * tm.featuresSeconds) / r.seconds).toFixed(0)}% (scoring overlaps it), this thread scoring ${((100 * tm.modelSeconds) / r.seconds).toFixed(0)}%, insert waits ${((100 * tm.insertSeconds) / r.seconds).toFixed(0)}%`,
  );
} finally {
  await wh.close();
  await admin.close();
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}
