/**
 * One win/loss run: load the deals as of the as-of day, build their features, select and calibrate
 * the model out of time, compute the drivers per slice and each deal's causes, then write
 * deal_scores and winloss_drivers under a new run id and, last, the model card that publishes the
 * run (migration 015's `_current` views follow the newest card). A run that fails before the card
 * leaves rows nobody reads; the next run prunes them. Re-running for the same data writes the same
 * numbers under a new run id (idempotent for readers).
 */
import { randomBytes } from 'node:crypto';
import type { ClickHouseSettings } from '@clickhouse/client';
import { loadConfig } from '../../lib/config/schema.ts';
import { formatContextOf, type FormatContext } from '../../lib/format/index.ts';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { consentSettings } from '../../lib/consent/purposes.ts';
import { checkName, qualified, rows } from '../../lib/warehouse/sql.ts';
import type { RandomForestOptions } from '../churn/forest/random-forest.ts';
import { dealCauses, disagreement, type Cause } from './causes.ts';
import { allDrivers, type DriverRow } from './drivers.ts';
import { factorContext } from './factors.ts';
import { buildFeatures, type DealFeatures, type DealRecord } from './features.ts';
import { dayNumber, isoOfDay, loadDeals, loadTouches } from './load.ts';
import { crossFittedLoss, selectModel, trainAndPredict, type Labelling, type Selection } from './model.ts';
import { snapshotDeals } from './snapshots.ts';

export const MODEL_KIND = 'winloss';
/** Below this many closed deals there is nothing to learn from: the run stops with a clear error. */
export const MIN_CLOSED_DEALS = 200;

export interface WinLossOptions {
  /** The as-of day, YYYY-MM-DD. */
  today: string;
  /** Locale and currency of the amounts in the causes' text; default: the configuration's CRM_BASE_CURRENCY. */
  format?: FormatContext;
  forest?: RandomForestOptions;
  onProgress?: (line: string) => void;
  /** Runs kept after this one is published (default 1: the previous, for readers mid-switch). */
  keepPrevious?: number;
  /** What applies to a customer with no profiling consent event (default: CRM_CONSENT_PROFILING_DEFAULT). */
  profilingConsent?: 'granted' | 'denied';
}

export interface WinLossResult {
  runId: string;
  asOf: string;
  deals: { closed: number; open: number };
  /** The model of deals as of their close: closed deals' probabilities, the card's headline. */
  selection: Omit<Selection, 'calibration'>;
  /** The model of open deals, learnt from snapshots of closed deals during their life. */
  openSelection: Omit<Selection, 'calibration'>;
  drivers: number;
  significantAll: { factor: string; effect: number; ci_low: number; ci_high: number }[];
  seconds: number;
}

export interface ScoredDeal {
  deal: DealRecord;
  features: DealFeatures;
  winProbability: number;
  causes: Cause[];
  disagreement: string;
}

export class WinLossError extends Error {
  readonly code = 'WINLOSS';
}

/** Everything a run computes, without writing: the integration test and the CLI share it. */
export async function computeWinLoss(
  warehouse: Warehouse,
  opts: WinLossOptions,
): Promise<{ selection: Selection; openSelection: Selection; scored: ScoredDeal[]; drivers: DriverRow[] }> {
  const log = opts.onProgress ?? (() => {});
  const asOfDay = dayNumber(opts.today);
  // Customers who withdrew profiling consent are neither learnt from nor scored (lib/consent).
  const deals = await loadDeals(warehouse, opts.today, opts.profilingConsent ?? consentSettings().profilingDefault);
  const closed = deals.map((_, i) => i).filter((i) => deals[i].status !== 'open');
  if (closed.length < MIN_CLOSED_DEALS) {
    throw new WinLossError(
      `win/loss model: ${closed.length} closed deals before ${opts.today}; at least ${MIN_CLOSED_DEALS} are needed`,
    );
  }
  const touches = await loadTouches(warehouse, opts.today);
  log(`win/loss: ${deals.length} deals (${closed.length} closed), touches of ${touches.size} customers`);
  const features = buildFeatures(deals, touches, asOfDay);
  const selection = await selectModel(deals, features, closed, opts.forest);
  log(
    `win/loss: out-of-time ROC-AUC ${Object.entries(selection.roc_auc)
      .map(([k, v]) => `${k} ${v.toFixed(3)}`)
      .join(', ')}; chosen ${selection.chosen}`,
  );
  const pLost = await crossFittedLoss(deals, features, selection, opts.forest);
  // Open deals: a model of how deals END from how they stood mid-life (snapshots.ts), not at their close.
  const { snapshots, origin } = snapshotDeals(deals);
  const snapshotFeatures = buildFeatures(snapshots, touches, asOfDay, deals);
  const snapshotRows = snapshots.map((_, k) => k);
  const labelling: Labelling = {
    lost: (k) => deals[origin[k]].status === 'lost',
    closedDay: (k) => deals[origin[k]].closed_day ?? 0,
  };
  const openSelection = await selectModel(snapshots, snapshotFeatures, snapshotRows, opts.forest, labelling);
  log(
    `win/loss open deals (${snapshots.length} snapshots): out-of-time ROC-AUC ${Object.entries(openSelection.roc_auc)
      .map(([k, v]) => `${k} ${v.toFixed(3)}`)
      .join(', ')}; chosen ${openSelection.chosen}`,
  );
  const open = deals.map((_, i) => i).filter((i) => deals[i].status === 'open');
  const pOpen = await trainAndPredict(
    { deals: snapshots, features: snapshotFeatures, rows: snapshotRows, labelling },
    { deals, features, rows: open },
    openSelection,
    opts.forest,
  );
  open.forEach((i, r) => (pLost[i] = pOpen[r]));
  const ctx = factorContext(deals, features, opts.format ?? formatContextOf(loadConfig()));
  const { all, rows: drivers } = allDrivers(deals, features, ctx);
  log(
    `win/loss: ${drivers.length} driver rows, ${drivers.filter((d) => d.slice_dim === 'all' && d.significant).length} significant over all deals`,
  );
  const scored = deals.map((deal, i) => {
    const causes = all ? dealCauses(all, i) : [];
    return {
      deal,
      features: features[i],
      winProbability: 1 - pLost[i],
      causes,
      disagreement: deal.status === 'lost' ? disagreement(deal.stated_reason, causes) : '',
    };
  });
  return { selection, openSelection, scored, drivers };
}

export function newWinLossRunId(asOf: string, at = new Date()): string {
  return `winloss-${asOf.replaceAll('-', '')}-${at.toISOString().replace(/[-:.Z]/g, '')}-${randomBytes(3).toString('hex')}`;
}

export async function runWinLoss(warehouse: Warehouse, opts: WinLossOptions): Promise<WinLossResult> {
  const t0 = performance.now();
  const log = opts.onProgress ?? (() => {});
  const { selection, openSelection, scored, drivers } = await computeWinLoss(warehouse, opts);
  const runId = newWinLossRunId(opts.today);
  const scoredAt = new Date().toISOString();
  const db = warehouse.database;
  const settings: ClickHouseSettings = {
    date_time_input_format: 'best_effort',
    ...(warehouse.cluster ? { insert_distributed_sync: 1 } : {}),
  };
  const batch = 20_000;
  for (let k = 0; k < scored.length; k += batch) {
    await warehouse.client.insert({
      table: qualified(db, 'deal_scores'),
      format: 'JSONEachRow',
      values: scored.slice(k, k + batch).map((s) => dealScoreRow(runId, scoredAt, opts.today, s)),
      clickhouse_settings: settings,
    });
  }
  if (drivers.length > 0) {
    await warehouse.client.insert({
      table: qualified(db, 'winloss_drivers'),
      format: 'JSONEachRow',
      values: drivers.map((d) => ({ run_id: runId, ...d, ci_low: finite(d.ci_low), ci_high: finite(d.ci_high) })),
      clickhouse_settings: settings,
    });
  }
  const closed = scored.filter((s) => s.deal.status !== 'open');
  const lost = closed.filter((s) => s.deal.status === 'lost').length;
  const baselines = { stage_only: selection.roc_auc.stage_only, amount_only: selection.roc_auc.amount_only };
  const bestBaseline = baselines.stage_only >= baselines.amount_only ? 'stage_only' : 'amount_only';
  const card = {
    model: MODEL_KIND,
    modelVersion: runId,
    chosen: selection.chosen,
    reason: selection.reason,
    roc_auc: selection.roc_auc,
    baselines,
    brier: selection.brier,
    folds: selection.folds.map((f) => ({
      ...f,
      train_until: isoOfDay(f.train_until_day),
      test_until: isoOfDay(f.test_until_day),
    })),
    calibration: selection.calibration,
    open_deals: {
      how: 'open deals are scored by a model learnt from snapshots of closed deals during their life, chosen the same way',
      chosen: openSelection.chosen,
      reason: openSelection.reason,
      roc_auc: openSelection.roc_auc,
      brier: openSelection.brier,
      folds: openSelection.folds.length,
    },
    deals: { closed: closed.length, lost, open: scored.length - closed.length },
    drivers_factors: [...new Set(drivers.filter((d) => d.slice_dim === 'all').map((d) => d.factor))],
    warnings:
      selection.roc_auc[selection.chosen] <= Math.max(baselines.stage_only, baselines.amount_only)
        ? ['the model does not beat the best baseline out of time']
        : [],
  };
  // Published from here on: the card is the switch (015-winloss.ts).
  await warehouse.client.insert({
    table: qualified(db, 'model_cards'),
    format: 'JSONEachRow',
    values: [
      {
        model_version: runId,
        model: MODEL_KIND,
        created_at: scoredAt,
        data_start: isoOfDay(Math.min(...scored.map((s) => s.deal.created_day))),
        as_of: opts.today,
        train_cutoff: opts.today,
        horizon_days: 0,
        churn_rate: closed.length ? lost / closed.length : 0,
        chosen: selection.chosen,
        reason: selection.reason,
        roc_auc: selection.roc_auc[selection.chosen],
        pr_auc: 'nan',
        brier: selection.brier,
        best_baseline: bestBaseline,
        best_baseline_roc_auc: baselines[bestBaseline],
        folds: selection.folds.length,
        card: JSON.stringify(card, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)),
      },
    ],
    clickhouse_settings: { ...settings, input_format_json_read_numbers_as_strings: 0 } as ClickHouseSettings,
  });
  log(`win/loss: run ${runId} published (${scored.length} deals, ${drivers.length} driver rows)`);
  await pruneRuns(warehouse, opts.keepPrevious ?? 1);
  return {
    runId,
    asOf: opts.today,
    deals: { closed: closed.length, open: scored.length - closed.length },
    selection: {
      chosen: selection.chosen,
      reason: selection.reason,
      roc_auc: selection.roc_auc,
      brier: selection.brier,
      folds: selection.folds,
    },
    openSelection: {
      chosen: openSelection.chosen,
      reason: openSelection.reason,
      roc_auc: openSelection.roc_auc,
      brier: openSelection.brier,
      folds: openSelection.folds,
    },
    drivers: drivers.length,
    significantAll: drivers
      .filter((d) => d.slice_dim === 'all' && d.significant)
      .map((d) => ({ factor: d.factor, effect: d.effect, ci_low: d.ci_low, ci_high: d.ci_high })),
    seconds: (performance.now() - t0) / 1000,
  };
}

const finite = (v: number): number => (Number.isFinite(v) ? v : 0);

export function dealScoreRow(runId: string, scoredAt: string, asOf: string, s: ScoredDeal): Record<string, unknown> {
  const d = s.deal;
  return {
    run_id: runId,
    scored_at: scoredAt,
    as_of: asOf,
    source: d.source,
    opportunity_id: d.opportunity_id,
    customer_id: d.customer_id,
    owner_id: d.owner_id,
    region: d.region,
    product: d.product,
    status: d.status,
    stage: d.status === 'open' ? d.stage : `closed_${d.status}`,
    amount: d.amount,
    created_at: isoOfDay(d.created_day),
    closed_at: d.closed_day === null ? null : isoOfDay(d.closed_day),
    stated_reason: d.stated_reason,
    competitor: d.competitor,
    win_probability: s.winProbability,
    value_at_risk: d.status === 'open' ? d.amount * (1 - s.winProbability) : 0,
    causes: s.causes.map((c) => ({ feature: c.feature, text: c.text, effect: c.effect })),
    top_cause: s.causes[0]?.text ?? '',
    disagreement: s.disagreement,
  };
}

/** Drops the rows of every run but the published one and the `keep` before it (and any newer unpublished one still being written). */
async function pruneRuns(warehouse: Warehouse, keep: number): Promise<void> {
  const db = warehouse.database;
  const cards = await rows<{ model_version: string }>(warehouse.client, {
    query: `SELECT model_version FROM ${qualified(db, 'model_cards')} FINAL WHERE model = {kind:String} ORDER BY created_at DESC LIMIT {n:UInt32}`,
    query_params: { kind: MODEL_KIND, n: keep + 1 },
  });
  if (cards.length === 0) return;
  const kept = cards.map((c) => c.model_version);
  const oldest = kept[kept.length - 1];
  const on = warehouse.cluster ? ` ON CLUSTER ${checkName(warehouse.cluster)}` : '';
  for (const table of ['deal_scores', 'winloss_drivers']) {
    const target = qualified(db, warehouse.cluster ? `${table}_local` : table);
    // Run ids sort by as-of then time: anything older than the oldest kept and not kept is gone.
    await warehouse.client.command({
      query: `ALTER TABLE ${target}${on} DELETE WHERE run_id NOT IN {kept:Array(String)} AND run_id < {oldest:String}`,
      query_params: { kept, oldest },
      clickhouse_settings: { mutations_sync: '2' },
    });
  }
}
