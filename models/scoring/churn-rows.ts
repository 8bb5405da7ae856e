/**
 * A block of scored customers as churn_scores_runs rows in TabSeparated: probability, risk band
 * and reasons. Scoring builds them in two steps (pendingRows per block as the features arrive,
 * pendingRowsTsv once the population is known); churnRowsTsv does both at once. No I/O.
 */
import type { FeatureSet } from '../churn/features.ts';
import { predictBlock } from '../churn/predict.ts';
import { againstPopulation, type Population } from '../churn/population.ts';
import { pickReasons, type Reason } from '../churn/reasons.ts';
import type { LoadedChurnModel } from '../churn/registry.ts';
import type { FormatContext } from '../../lib/format/index.ts';

export const RISK_THRESHOLDS = Object.freeze({ high: 0.6, medium: 0.3 });
export type RiskBand = 'high' | 'medium' | 'low';

export function riskBand(probability: number, t: { high: number; medium: number } = RISK_THRESHOLDS): RiskBand {
  return probability >= t.high ? 'high' : probability >= t.medium ? 'medium' : 'low';
}

const TSV_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', "'": "\\'", '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/**
 * A String as ClickHouse's TabSeparated (and its quoted array elements) read it: backslash, quote,
 * tab and line breaks escaped with a backslash, so no raw tab or newline ever splits a row.
 */
export function tsvString(s: string): string {
  return /[\\'\t\n\r\0]/.test(s) ? s.replace(/[\\'\t\n\r\0]/g, (c) => TSV_ESCAPES[c]) : s;
}

/** top_reasons (Array(Tuple(feature, text, contribution))) as a TabSeparated field. */
export function tsvReasons(reasons: readonly Reason[]): string {
  let out = '[';
  for (let k = 0; k < reasons.length; k++) {
    const r = reasons[k];
    if (!Number.isFinite(r.contribution)) throw new RangeError(`reason "${r.feature}" has a non-finite contribution ${r.contribution}`);
    out += `${k ? ',' : ''}('${tsvString(r.feature)}','${tsvString(r.text)}',${r.contribution})`;
  }
  return `${out}]`;
}

/** What every row of a run shares. */
export interface RowContext {
  /** Reasons per customer. */
  limit: number;
  /** Where each customer stands among everyone scored (population.ts). */
  population: Population;
  format: FormatContext;
  /** The line's text before the customer id (the run id and a tab) and after the reasons. */
  head: string;
  tail: string;
}

export type RowSet = Pick<FeatureSet, 'features' | 'columns' | 'customerIds'>;

/**
 * Rows [start, end) of set scored up to everything but the reasons' place in the population:
 * probabilities and each customer's reasons (feature, text before the comparison, the value it is
 * compared by, contribution). `pendingRowsTsv` finishes them once the population is known, so a
 * block can be scored while the engine still computes the next one.
 */
export interface PendingRows {
  customerIds: string[];
  probability: Float64Array;
  /** Reasons per row, at most `limit`. */
  count: Uint8Array;
  limit: number;
  /** [row * limit + k]: the reason's feature (index into the model's features), … */
  feature: Uint16Array;
  /** … its text before the population's comparison, … */
  text: string[];
  /** … the customer's value of that feature, and the topic's summed contribution. */
  value: Float64Array;
  contribution: Float64Array;
}

export function pendingRows(model: LoadedChurnModel, set: RowSet, start: number, end: number, limit: number, format: FormatContext): PendingRows {
  const names = model.file.features;
  const index = new Map(names.map((f, j) => [f, j]));
  const { features, columns } = set;
  const n = end - start;
  // One name → value record, refilled for each customer (pickReasons reads it and keeps nothing):
  // a fresh 40-key object per customer was a measurable part of the reasons' time.
  const values: Record<string, number> = {};
  // One pass gives both the probability and the contributions the reasons need.
  const explained = predictBlock(model, set, start, end);
  const out: PendingRows = {
    customerIds: set.customerIds.slice(start, end),
    probability: explained.probability,
    count: new Uint8Array(n),
    limit,
    feature: new Uint16Array(n * limit),
    text: new Array<string>(n * limit),
    value: new Float64Array(n * limit),
    contribution: new Float64Array(n * limit),
  };
  for (let i = start; i < end; i++) {
    for (let j = 0; j < columns.length; j++) values[features[j]] = columns[j][i];
    const reasons = pickReasons(names, explained.contributions, values, limit, (i - start) * names.length, format);
    const r = i - start;
    out.count[r] = reasons.length;
    for (let k = 0; k < reasons.length; k++) {
      const at = r * limit + k;
      out.feature[at] = index.get(reasons[k].feature)!;
      out.text[at] = reasons[k].text;
      out.value[at] = values[reasons[k].feature];
      out.contribution[at] = reasons[k].contribution;
    }
  }
  return out;
}

/** Rows [start, end) of pending rows as TabSeparated lines, joined, with their reasons' place in ctx.population. */
export function pendingRowsTsv(model: LoadedChurnModel, rows: PendingRows, start: number, end: number, ctx: RowContext): string {
  const names = model.file.features;
  const { limit } = rows;
  let text = '';
  const reasons: Reason[] = [];
  for (let r = start; r < end; r++) {
    const p = rows.probability[r];
    reasons.length = rows.count[r];
    for (let k = 0; k < reasons.length; k++) {
      const at = r * limit + k;
      const feature = names[rows.feature[at]];
      reasons[k] = { feature, text: againstPopulation(feature, rows.text[at], rows.value[at], ctx.population), contribution: rows.contribution[at] };
    }
    text += `${ctx.head}${tsvString(rows.customerIds[r])}\t${p}\t${riskBand(p)}\t${tsvReasons(reasons)}${ctx.tail}`;
  }
  return text;
}

/** Rows [start, end) of set: their TabSeparated lines, joined, and their probabilities. */
export function churnRowsTsv(model: LoadedChurnModel, set: RowSet, start: number, end: number, ctx: RowContext): { text: string; probability: Float64Array } {
  const rows = pendingRows(model, set, start, end, ctx.limit, ctx.format);
  return { text: pendingRowsTsv(model, rows, 0, end - start, ctx), probability: rows.probability };
}
