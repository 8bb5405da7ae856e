import { retentionBasePeriod, type PeriodId } from '../../../../lib/periods.ts';
import type { Comparison } from '../filters/comparison.ts';
import type { DateRange } from '../filters/url-filters.ts';
import { formatDate, toNumber } from '../format/format.ts';
import { sumOrZero } from '../format/sum-or-zero.ts';
import { scoresAsOf } from '../format/scores-as-of.ts';
import type { Row } from '../cube/types.ts';
import type { Metric } from '../metrics/dictionary.ts';
import type { KPI_MEASURES } from './queries.ts';

/**
 * The cockpit's KPI cards: which dictionary measure each shows and from which query (queries.ts).
 * Labels, definitions and formats are not here: they come from the semantic layer's dictionary
 * (lib/metrics), so a card says what the layer defines and the Definitions page lists the same
 * words. Pure, so the e2e test can check every card against the measure it names.
 */
export type KpiSource = keyof typeof KPI_MEASURES;

export interface KpiSpec {
  testid: string;
  /** The dictionary measure the card shows (its value is this member's value). */
  measure: string;
  /** The kpiQueries() key whose answer carries the measure. */
  source: KpiSource;
  /** Which facts' comparison applies (sales dates or deal close dates); none for snapshots. */
  compare?: 'sales' | 'deals';
  /** The kpiComparisonQueries() key for the comparison period's value. */
  previousSource?: 'salesPrev' | 'retentionPrev' | 'dealsPrev';
  changeMode?: 'relative' | 'points';
  goodWhen?: 'up' | 'down';
  /**
   * For a sum: the count over the same rows, in the same answer. A sum over no rows is NULL ("—"),
   * which read as "no data" beside "Lost deals 0"; with the count at 0 the card shows 0.
   */
  countOf?: string;
  /** A figure of the published model run's scores: its note names the run's as-of day too. */
  scores?: boolean;
  /**
   * For an average of a skewed quantity (order value, LTV): the median over the same rows, in the
   * same answer, said beside it. A mean pulled up by a few large orders read as the typical one.
   */
  median?: string;
  /** A deal figure: with no deals in the data it says so instead of "$0" or "—". */
  deals?: boolean;
}

type Members<K extends KpiSource> = (typeof KPI_MEASURES)[K][number];
const spec = <K extends KpiSource>(s: Omit<KpiSpec, 'measure' | 'source'> & { source: K; measure: Members<K> }): KpiSpec => s;

export const COCKPIT_KPIS: readonly KpiSpec[] = [
  spec({ testid: 'kpi-revenue', source: 'sales', measure: 'sales.revenue', compare: 'sales', previousSource: 'salesPrev' }),
  spec({ testid: 'kpi-active-customers', source: 'sales', measure: 'sales.active_customers', compare: 'sales', previousSource: 'salesPrev' }),
  spec({ testid: 'kpi-new-customers', source: 'sales', measure: 'sales.new_customers', compare: 'sales', previousSource: 'salesPrev' }),
  spec({ testid: 'kpi-aov', source: 'sales', measure: 'sales.average_order_value', compare: 'sales', previousSource: 'salesPrev', median: 'sales.median_order_value' }),
  spec({ testid: 'kpi-retention', source: 'retention', measure: 'customer_retention.retention_rate', compare: 'sales', previousSource: 'retentionPrev', changeMode: 'points' }),
  spec({ testid: 'kpi-repeat-purchase', source: 'sales', measure: 'sales.repeat_purchase_rate', compare: 'sales', previousSource: 'salesPrev', changeMode: 'points' }),
  // The testid keeps its old name (e2e and saved links); the figure is the dormancy rate (dormant.ts).
  spec({ testid: 'kpi-churn-rate', source: 'snapshot', measure: 'customer_base.dormancy_rate', goodWhen: 'down' }),
  spec({ testid: 'kpi-avg-ltv', source: 'snapshot', measure: 'customer_base.avg_lifetime_value', median: 'customer_base.median_lifetime_value' }),
  spec({ testid: 'kpi-avg-clv', source: 'snapshot', measure: 'customer_base.avg_predicted_clv', median: 'customer_base.median_predicted_clv', scores: true }),
  spec({ testid: 'kpi-value-at-risk', source: 'snapshot', measure: 'customer_base.value_at_risk', goodWhen: 'down', scores: true }),
  spec({ testid: 'kpi-pipeline', source: 'pipeline', measure: 'pipeline.pipeline_value', deals: true }),
  spec({ testid: 'kpi-win-rate', source: 'deals', measure: 'pipeline.win_rate', compare: 'deals', previousSource: 'dealsPrev', changeMode: 'points', deals: true }),
  spec({ testid: 'kpi-lost-value', source: 'deals', measure: 'pipeline.lost_value', compare: 'deals', previousSource: 'dealsPrev', goodWhen: 'down', countOf: 'pipeline.lost_deals', deals: true }),
];

/** The Lost value card: the total the loss-reason chart's largest reasons are part of. */
export const LOST_VALUE_CARD: KpiSpec = COCKPIT_KPIS.find((k) => k.testid === 'kpi-lost-value')!;

/** Every measure a cockpit card shows, its median too (the Definitions page must list them all). */
export const COCKPIT_MEASURES: readonly string[] = COCKPIT_KPIS.flatMap((k) => (k.median ? [k.measure, k.median] : [k.measure]));

export interface KpiHelp {
  /** The layer's definition of the measure. */
  definition: string;
  /** Which days the figure covers, or "snapshot as of …". */
  period: string;
  /** What the change is against, or why there is none. */
  comparison: string;
}

/** A card's value from its answer's first row (sumOrZero for a sum with its count). */
export function kpiValue(k: KpiSpec, rows: Row[] | undefined): number | string | null | undefined {
  const row = rows?.[0];
  const v = row?.[k.measure] as number | string | null | undefined;
  if (!k.countOf || !row) return v;
  return sumOrZero(v, row[k.countOf] as number | string | null | undefined) ?? v;
}

/**
 * A snapshot card's note: "as of <dashboard day>", and for a score figure the published run's day
 * (scoresAsOf): the scores can be days older than the dashboard's as-of date, and the card said
 * only the latter.
 */
export function snapshotNote(k: KpiSpec, asOfText: string, published: { asOf: string } | undefined | null): string {
  return k.scores ? `${asOfText}${scoresAsOf(published)}` : asOfText;
}

/**
 * "median $26 · mean above: a few large values pull it up" is too long for a card: "median $26"
 * beside a card labelled "Average …" says which is which. Undefined without the median's value.
 */
export function medianNote(k: KpiSpec, rows: Row[] | undefined, format: (v: number) => string): string | undefined {
  if (!k.median) return undefined;
  const v = toNumber(rows?.[0]?.[k.median] as number | string | null | undefined);
  return v === undefined ? undefined : `median ${format(v)}`;
}

/** The card's note parts joined, leaving out the missing ones ("median $26 · as of 30 Jun 1998"). */
export const joinNotes = (...parts: (string | undefined)[]): string | undefined => parts.filter((p) => p).join(' · ') || undefined;

const span = (r: DateRange): string => `${formatDate(r.from)} – ${formatDate(r.to)}`;

/**
 * The (i) text of a card: the definition, the days it covers and what it is compared with, in the
 * words of the period logic (lib/periods.ts via filters/comparison.ts). Retention also names the
 * previous period its customers come from.
 */
export function kpiHelp(k: KpiSpec, metric: Pick<Metric, 'description'> | undefined, ctx: { range: DateRange & { period?: PeriodId }; asOf: string; comparison?: Comparison }): KpiHelp {
  const definition = metric?.description || 'No definition in the semantic layer.';
  if (!k.compare) {
    return { definition, period: `A snapshot as of ${formatDate(ctx.asOf)}: the date range does not apply.`, comparison: 'Nothing: the layer keeps no history of this figure.' };
  }
  let period = `${span(ctx.range)}.`;
  if (k.measure === 'customer_retention.retention_rate') period = `${span(ctx.range)}, customers active in the previous period ${span(retentionBasePeriod(ctx.range, ctx.range.period))}.`;
  const c = ctx.comparison;
  let comparison: string;
  if (!c?.range) comparison = 'Nothing (no comparison chosen).';
  else if (c.notice) comparison = `${c.notice}.`;
  else comparison = `${c.compare === 'last_year' ? 'The same period last year' : 'The previous period'}, ${span(c.range)}.`;
  return { definition, period, comparison };
}
