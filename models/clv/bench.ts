/**
 * Times the CLV fit on CDNOW: fitClv (summary → BG/NBD + Gamma-Gamma fits → scoring of every
 * customer), median of several runs after a warm-up. Goal: < 500 ms.
 *
 *   npx tsx models/clv/bench.ts [--runs 7] [--customers 1000000]
 *
 * --customers N additionally times a simulated base of N customers (3 years of daily data).
 */
import { parseArgs } from 'node:util';
import { CDNOW_CALIBRATION_END, CDNOW_FILE, cdnowAvailable, loadCdnow } from './cdnow.ts';
import { fitClv, fitClvFromSummary, scoreClv } from './fit-clv.ts';
import { buildRfmSummary } from './rfm-summary.ts';
import { simulateTransactions } from './simulate.ts';

const GOAL_MS = 500;
const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, customers: { type: 'string' } } });
const runs = Math.max(1, Number(values.runs));

function time<T>(f: () => T): [T, number] {
  const t = performance.now();
  const v = f();
  return [v, performance.now() - t];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const ms = (v: number) => `${v.toFixed(1)} ms`;

if (!cdnowAvailable()) {
  console.error(`CDNOW sample not found at ${CDNOW_FILE} (expected in ../shared/data/cdnow/ from the repository root, or set CRM_CDNOW_FILE)`);
  process.exit(1);
}
const [transactions, loadMs] = time(() => loadCdnow());
fitClv(transactions, CDNOW_CALIBRATION_END); // warm-up (JIT)
const samples: number[] = [];
let last: ReturnType<typeof fitClv> | undefined;
for (let i = 0; i < runs; i++) {
  const [fit, t] = time(() => fitClv(transactions, CDNOW_CALIBRATION_END));
  samples.push(t);
  last = fit;
}
const med = median(samples);
const { r, alpha, a, b } = last!.bgNbd.params;
const { p, q, gamma } = last!.gammaGamma.params;
console.log(`CDNOW (${transactions.length} lines, ${last!.customers.customerIds.length} customers; file read ${ms(loadMs)})`);
console.log(`  fitClv median ${ms(med)} over ${runs} runs (min ${ms(Math.min(...samples))}, max ${ms(Math.max(...samples))}); goal < ${GOAL_MS} ms: ${med < GOAL_MS ? 'ok' : 'OVER'}`);
console.log(`  BG/NBD r=${r.toFixed(3)} α=${alpha.toFixed(3)} a=${a.toFixed(3)} b=${b.toFixed(3)} LL=${last!.bgNbd.logLikelihood.toFixed(2)} (${last!.bgNbd.evaluations} evaluations)`);
console.log(`  Gamma-Gamma p=${p.toFixed(3)} q=${q.toFixed(3)} γ=${gamma.toFixed(3)} LL=${last!.gammaGamma.logLikelihood.toFixed(2)} (${last!.gammaGamma.evaluations} evaluations)`);

if (values.customers) {
  const n = Number(values.customers);
  const truth = { bgNbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, gammaGamma: { p: 6.25, q: 3.74, gamma: 15.44 } };
  const [tx, simMs] = time(() => simulateTransactions(truth.bgNbd, truth.gammaGamma, { customers: n, seed: 7 }));
  const [summary, sumMs] = time(() => buildRfmSummary(tx, '2024-12-31'));
  const [fit, fitMs] = time(() => fitClvFromSummary(summary));
  const [, scoreMs] = time(() => scoreClv(truth, summary));
  console.log(`Simulated: ${n} customers, ${tx.length} transactions (simulation ${ms(simMs)})`);
  console.log(`  summary ${ms(sumMs)}; fit + score ${ms(fitMs)} (${fit.bgNbd.evaluations} + ${fit.gammaGamma.evaluations} evaluations); score only ${ms(scoreMs)}`);
}
