/**
 * A block of scored customers as churn_scores_runs rows in TabSeparated: probability, risk band
 * and reasons, built the same way in this thread and in scoring workers (churn-rows-worker.ts),
 * so where a row is scored cannot change what is stored. No I/O.
 */
import type { FeatureSet } from '../churn/features.ts';
import type { Population } from '../churn/population.ts';
import { predictBlock } from '../churn/predict.ts';
import { topReasons, type Reason } from '../churn/reasons.ts';
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

/** Rows [start, end) of set: their TabSeparated lines, joined, and their probabilities. */
export function churnRowsTsv(model: LoadedChurnModel, set: RowSet, start: number, end: number, ctx: RowContext): { text: string; probability: Float64Array } {
  const names = model.file.features;
  const { features, columns } = set;
  // One name → value record, refilled for each customer (topReasons reads it and keeps nothing):
  // a fresh 40-key object per customer was a measurable part of the reasons' time.
  const values: Record<string, number> = {};
  // One pass gives both the probability and the contributions the reasons need.
  const explained = predictBlock(model, set, start, end);
  let text = '';
  for (let i = start; i < end; i++) {
    const p = explained.probability[i - start];
    for (let j = 0; j < columns.length; j++) values[features[j]] = columns[j][i];
    const reasons = topReasons(names, explained.contributions, values, ctx.limit, (i - start) * names.length, ctx.population, ctx.format);
    text += `${ctx.head}${tsvString(set.customerIds[i])}\t${p}\t${riskBand(p)}\t${tsvReasons(reasons)}${ctx.tail}`;
  }
  return { text, probability: explained.probability };
}
