/**
 * `npm run bench:models [-- …]`: the model benchmarks one after another, each in its own process
 * (as before: warehouse churn bench, forest vs scikit-learn, CLV fits); with `--real`, the
 * real-data benchmark (real.ts) instead, given the remaining arguments; with `--clv`, the CLV model
 * against its baselines on CDNOW, out of time (clv-real.ts).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));
const run = (file: string, extra: string[] = []): void => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...extra], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
if (args.includes('--clv')) {
  run(here('./clv-real.ts'), args);
} else if (args.includes('--real')) {
  run(here('./real.ts'), args);
} else if (args.includes('--help')) {
  console.log(
    "npm run bench:models                 synthetic warehouse churn bench, forest vs scikit-learn, CLV fits\nnpm run bench:models -- --real [--help]  the product's churn training on the CDNOW sample, out of time, with the scikit-learn ceiling (models/bench/real.ts)\nnpm run bench:models -- --clv [--help]   the CLV model vs past-rate, last-period and cohort baselines on CDNOW, out of time (models/bench/clv-real.ts)\ntsx models/bench/candidates-cdnow.ts --help  every churn candidate on every 15-day CDNOW cutoff",
  );
} else {
  run(here('./churn-warehouse.ts'), args);
  run(here('./forest-vs-sklearn.ts'));
  run(here('../clv/bench.ts'));
}
