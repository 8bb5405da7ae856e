/**
 * CLV scoring: BG/NBD + Gamma-Gamma fitted on every completed purchase before the cutoff, then per
 * customer P(alive), expected purchases in the next 90 days, expected order value and a 12-month
 * CLV (10% annual discount rate, in revenue), written under the scoring run's id to
 * `clv_scores_runs` (visible through `clv_scores_current` once the run is published, with its churn
 * scores: models/scoring/runs.ts), with the fit recorded in `model_versions`.
 */
import { dataDirFrom } from '../../lib/config.ts';
import { loadConfig } from '../../lib/config/schema.ts';
import { formatContextOf, formatMoney } from '../../lib/format/index.ts';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { fitClv, type ClvFit } from '../clv/fit-clv.ts';
import { addDays, todayUtc } from '../churn/definition.ts';
import { newModelVersion, saveModelRecord } from '../churn/registry.ts';
import { loadPurchaseDays } from '../churn/purchase-days.ts';
import { runInsertSettings } from './runs.ts';
import { validateClv } from '../clv/validate.ts';
import { saveClvCard } from './clv-card.ts';

export interface ScoreClvOptions {
  /** The scoring run the rows belong to (models/scoring/runs.ts): invisible until it is published. */
  runId: string;
  /** Facts before this day are used (default today, UTC). */
  today?: string;
  dataDir?: string;
  /** Window of "expected purchases" (default 90 days). */
  horizonDays?: number;
  /** CLV horizon in months (default 12) and annual discount rate (default 0.1). */
  months?: number;
  annualDiscountRate?: number;
  /** Statuses that count as a purchase (default completed). */
  statuses?: string[];
  batchSize?: number;
  scoredAt?: Date;
  onProgress?: (line: string) => void;
  /** Stops the run between batches (the rows written so far stay unpublished). */
  signal?: AbortSignal;
}

export interface ClvScoringResult {
  modelVersion: string;
  cutoff: string;
  scoredAt: string;
  customers: number;
  params: ClvFit['bgNbd']['params'] & { p: number; q: number; gamma: number };
  totalClv12m: number;
  warnings: string[];
  fitSeconds: number;
  seconds: number;
}

const finite = (v: number): number => (Number.isFinite(v) ? v : 0);

/** Credit lines' value as a share of completed purchases' before the cutoff (0 without either). */
async function creditShare(warehouse: Warehouse, cutoff: string): Promise<{ share: number }> {
  const rs = await warehouse.client.query({
    query: `SELECT toFloat64(sumIf(amount, status = 'credit')) AS credit, toFloat64(sumIf(amount, status = 'completed')) AS completed
      FROM transactions_resolved WHERE order_date < {cutoff:Date}`,
    query_params: { cutoff },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ credit: number; completed: number }>();
  const completed = Number(row?.completed ?? 0);
  return { share: completed > 0 ? Number(row.credit) / completed : 0 };
}

export async function scoreLifetimeValue(warehouse: Warehouse, opts: ScoreClvOptions): Promise<ClvScoringResult> {
  const t0 = performance.now();
  const log = opts.onProgress ?? (() => {});
  const cutoff = opts.today ?? todayUtc();
  const horizonDays = opts.horizonDays ?? 90;
  log(`CLV at ${cutoff}: reading purchase days…`);
  const purchases = await loadPurchaseDays(warehouse, cutoff, opts.statuses ?? ['completed']);
  log(`  ${purchases.length} purchase days; fitting BG/NBD + Gamma-Gamma…`);
  const tf = performance.now();
  // fitClv's cutoff is the last day of the calibration period (inclusive); ours is exclusive.
  const fit = fitClv(
    purchases,
    addDays(cutoff, -1),
    { horizonDays, months: opts.months ?? 12, annualDiscountRate: opts.annualDiscountRate ?? 0.1 },
  );
  const fitSeconds = (performance.now() - tf) / 1000;
  const bg = fit.bgNbd.params;
  const gg = fit.gammaGamma.params;
  log(
    `  BG/NBD r=${bg.r.toFixed(3)} α=${bg.alpha.toFixed(3)} a=${bg.a.toFixed(3)} b=${bg.b.toFixed(3)}; ` +
      `Gamma-Gamma p=${gg.p.toFixed(3)} q=${gg.q.toFixed(3)} γ=${gg.gamma.toFixed(3)} (${fitSeconds.toFixed(2)} s)`,
  );
  for (const w of fit.warnings) log(`  warning: ${w}`);

  const now = opts.scoredAt ?? new Date();
  const version = newModelVersion('clv', cutoff, now);
  const scoredAt = now.toISOString();
  const c = fit.customers;
  const n = c.customerIds.length;
  const batchSize = opts.batchSize ?? 100_000;
  let total = 0;
  let nonFinite = 0;
  for (let start = 0; start < n; start += batchSize) {
    opts.signal?.throwIfAborted();
    const end = Math.min(n, start + batchSize);
    const rows = [];
    for (let i = start; i < end; i++) {
      const values = [c.probabilityAlive[i], c.expectedPurchases[i], c.expectedOrderValue[i], c.clv[i]];
      if (!values.every(Number.isFinite)) nonFinite++;
      total += finite(c.clv[i]);
      rows.push({
        run_id: opts.runId,
        customer_id: c.customerIds[i],
        p_alive: finite(c.probabilityAlive[i]),
        expected_purchases_90d: finite(c.expectedPurchases[i]),
        expected_order_value: finite(c.expectedOrderValue[i]),
        clv_12m: finite(c.clv[i]),
        model_version: version,
        cutoff,
        scored_at: scoredAt,
      });
    }
    await warehouse.client.insert({ table: 'clv_scores_runs', values: rows, format: 'JSONEachRow', clickhouse_settings: runInsertSettings(warehouse) });
    log(`  scored ${end}/${n}`);
  }
  const warnings = [...fit.warnings];
  if (nonFinite) warnings.push(`${nonFinite} customers had a non-finite prediction, written as 0`);

  await saveModelRecord(
    warehouse,
    {
      modelVersion: version,
      model: 'clv',
      trainedAt: scoredAt,
      cutoff,
      features: ['frequency', 'recency', 'T', 'monetary_value'],
      metrics: {
        bgnbd_log_likelihood: fit.bgNbd.logLikelihood,
        gamma_gamma_log_likelihood: fit.gammaGamma.logLikelihood,
        customers: n,
        converged: fit.bgNbd.converged && fit.gammaGamma.converged,
      },
      params: { bgNbd: bg, gammaGamma: gg, settings: fit.settings },
      warnings,
    },
    opts.dataDir ?? dataDirFrom(),
  );
  // The proof the Models page shows: clv_12m and the 90-day purchases against what customers did
  // after earlier cutoffs, beside the baselines (models/clv/validate.ts).
  const tv = performance.now();
  const card = validateClv(purchases, cutoff, { format: formatContextOf(loadConfig()) });
  const credits = await creditShare(warehouse, cutoff);
  if (credits.share > 0.01) {
    // Net revenue (order_lines' net_revenue) subtracts credit lines; the CLV fits completed
    // purchases only, so on a log with returns its money is gross and reads high against net.
    warnings.push(
      `credit lines (returns, refunded parts) were ${(100 * credits.share).toFixed(1)}% of completed purchase value before ${cutoff}: ` +
        'clv_12m and the validation’s spend are gross of them, so against net revenue they read that much high',
    );
    log(`  warning: ${warnings[warnings.length - 1]}`);
  }
  await saveClvCard(warehouse, { ...card, modelVersion: version, createdAt: scoredAt, params: { ...bg, ...gg }, warnings: [...warnings, ...card.warnings] });
  log(`  validation (${((performance.now() - tv) / 1000).toFixed(1)} s): ${card.headline}`);
  const seconds = (performance.now() - t0) / 1000;
  // In the reporting currency: a bare "69,186" read as euros on a dollar warehouse (CDNOW).
  log(`CLV scores written: ${n} customers, total 12-month CLV ${formatMoney(total, {}, formatContextOf(loadConfig()))} in ${seconds.toFixed(1)} s`);
  return { modelVersion: version, cutoff, scoredAt, customers: n, params: { ...bg, ...gg }, totalClv12m: total, warnings, fitSeconds, seconds };
}
