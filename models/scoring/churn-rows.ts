/**
 * A block of scored customers as churn_scores_runs rows in TabSeparated: probability, risk band
 * and reasons. Scoring builds them in two steps (pendingRows per block as the features arrive,
 * pendingRowsTsv once the population is known); churnRowsTsv does both at once. No I/O.
 */
import type { FeatureSet } from '../churn/features.ts';
import { predictBlock } from '../churn/predict.ts';
import { comparisonOf, POPULATION_FEATURES, referencePlace, shareAbove, shareBelow, wholePercent, withoutOnly, type Comparison, type Population } from '../churn/population.ts';
import { pickReasons, reasonFeaturesOf, type Reason } from '../churn/reasons.ts';
import type { LoadedChurnModel } from '../churn/registry.ts';
import type { FormatContext } from '../../lib/format/index.ts';

export const RISK_THRESHOLDS = Object.freeze({ high: 0.6, medium: 0.3 });
/**
 * `lapsed`: no placed order in the model's active window before the as-of date. Such a customer is
 * outside the population the model was trained and validated on, so its probability is an
 * extrapolation, not a risk: the band says lapsed whatever the probability, and every surface
 * (churn page, semantic layer, alerts, segments) reads this one stored state.
 */
export type RiskBand = 'high' | 'medium' | 'low' | 'lapsed';
export const RISK_BANDS: readonly RiskBand[] = Object.freeze(['high', 'medium', 'low', 'lapsed']);

export function riskBand(probability: number, lapsed = false, t: { high: number; medium: number } = RISK_THRESHOLDS): RiskBand {
  if (lapsed) return 'lapsed';
  return probability >= t.high ? 'high' : probability >= t.medium ? 'medium' : 'low';
}

/** The active window when the model file does not name one (cards before it): the default definition's. */
export const DEFAULT_ACTIVE_WINDOW_DAYS = 365;

/**
 * Lapsed at the cutoff: the last placed order is more than activeWindowDays days before it, or
 * there is none. recency_days is dateDiff('day', last order day, cutoff) (features.ts), and the
 * window is [cutoff − activeWindowDays, cutoff), so "in the window" is recency ≤ activeWindowDays.
 */
export function isLapsed(recencyDays: number, activeWindowDays: number): boolean {
  return !(recencyDays <= activeWindowDays);
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
  /**
   * Where each customer stands (population.ts): among everyone scored, or, with lapsedPopulation,
   * among the active customers (scoring's cohortsOf) …
   */
  population: Population;
  /** … and the lapsed customers' own, which a lapsed row (PendingRows.lapsed) is compared with. */
  lapsedPopulation?: Population;
  format: FormatContext;
  /** The line's text before the customer id (the run id and a tab) and after the reasons. */
  head: string;
  tail: string;
}

export type RowSet = Pick<FeatureSet, 'features' | 'columns' | 'customerIds'>;

/**
 * Rows [start, end) of set scored up to everything but the reasons' place in the population:
 * probabilities, and each row's text (customer id to the reasons' closing bracket) already encoded
 * as UTF-8 with the places marked where the population's comparison goes. `pendingRowsTsv` /
 * `pendingRowsBytes` finish them once the population is known, so a block is scored (and its text
 * written) while the engine still computes the next, and finishing is copying bytes.
 *
 * Why bytes: scoring keeps every row until the population is in. Kept as strings (several per
 * customer), a million customers' rows made the garbage collector the largest cost of the run,
 * and the final UTF-8 encoding of the joined text the next; bytes are off the JS heap and are
 * encoded once, a block at a time, while they are young.
 */
export interface PendingRows {
  customerIds: string[];
  probability: Float64Array;
  /** 1 where the customer is lapsed (isLapsed at the model's active window): the row's band says so. */
  lapsed: Uint8Array;
  /** The rows' text without the run's head and tail and without the comparisons. */
  bytes: Buffer;
  /** Byte offset where row r's text ends (it starts where row r − 1's ends). */
  rowEnd: Int32Array;
  /** Reasons whose text may be compared with the population, in row order: … */
  cuts: number;
  /** … the row, … */
  cutRow: Int32Array;
  /** … the byte offset where the comparison goes (the end of the reason's text), … */
  cutAt: Int32Array;
  /** … the byte offset of the text's "only " (−1: none), dropped unless the value is low, … */
  onlyAt: Int32Array;
  /** … the feature (index into reasonFeaturesOf(the model's features)) and the customer's value of it. */
  cutFeature: Uint16Array;
  cutValue: Float64Array;
}

/** Features whose reason text placeAgainst may change (populated on first use per feature list). */
const comparedFeatures = new WeakMap<readonly string[], Uint8Array>();
function comparedOf(names: readonly string[]): Uint8Array {
  let c = comparedFeatures.get(names);
  if (!c) comparedFeatures.set(names, (c = Uint8Array.from(names, (f) => (POPULATION_FEATURES.includes(f) ? 1 : 0))));
  return c;
}

export function pendingRows(model: LoadedChurnModel, set: RowSet, start: number, end: number, limit: number, format: FormatContext): PendingRows {
  const names = model.file.features;
  // A reason may name a feature outside the model's list (the stack's forecast reads as the
  // expected purchases): the comparisons index the list of what reasons may name.
  const named = reasonFeaturesOf(names);
  const index = indexOf(named);
  const compared = comparedOf(named);
  const { features, columns } = set;
  const n = end - start;
  // One name → value record, refilled for each customer (pickReasons reads it and keeps nothing):
  // a fresh 40-key object per customer was a measurable part of the reasons' time.
  // horizon_days is not a feature: the BG/NBD reasons say "in the next 90 days" from it.
  const values: Record<string, number> = { horizon_days: model.file.definition?.horizonDays ?? NaN };
  const recency = columns[features.indexOf('recency_days')];
  if (!recency) throw new Error('the feature set has no recency_days column: a lapsed customer could not be told from an active one');
  const window = model.file.definition?.activeWindowDays ?? DEFAULT_ACTIVE_WINDOW_DAYS;
  const lapsed = new Uint8Array(n);
  // One pass gives both the probability and the contributions the reasons need.
  const explained = predictBlock(model, set, start, end);
  // The reference rows' medians (reasons.ts pickReasons): what a value is measured against.
  const medians = model.file.predictor?.reference?.medians;
  const probability = explained.probability;
  const rowEnd = new Int32Array(n);
  const cutRow = new Int32Array(n * limit);
  const cutAt = new Int32Array(n * limit);
  const onlyAt = new Int32Array(n * limit);
  const cutFeature = new Uint16Array(n * limit);
  const cutValue = new Float64Array(n * limit);
  let cuts = 0;
  // The text is encoded piece by piece into one Buffer: each write says how many bytes it took, so
  // the marked places are byte offsets at once. (One string for the whole block, encoded at the
  // end, was slower: flattening and encoding a rope of ~60k pieces cost more than the scoring.)
  let bytes = Buffer.allocUnsafe(n * 384 + 1024);
  let w = 0;
  const put = (piece: string): void => {
    // A UTF-16 unit takes at most 3 bytes of UTF-8.
    if (bytes.length - w < piece.length * 3) {
      const bigger = Buffer.allocUnsafe(Math.max(bytes.length * 2, w + piece.length * 3));
      bytes.copy(bigger, 0, 0, w);
      bytes = bigger;
    }
    w += bytes.write(piece, w, 'utf8');
  };
  for (let i = start; i < end; i++) {
    for (let j = 0; j < columns.length; j++) values[features[j]] = columns[j][i];
    const reasons = pickReasons(names, explained.contributions, values, limit, (i - start) * names.length, format, medians);
    const r = i - start;
    const p = probability[r];
    const gone = isLapsed(recency[i], window);
    lapsed[r] = gone ? 1 : 0;
    let piece = `${tsvString(set.customerIds[i])}\t${p}\t${riskBand(p, gone)}\t[`;
    for (let k = 0; k < reasons.length; k++) {
      const { feature, text: words, contribution } = reasons[k];
      if (!Number.isFinite(contribution)) throw new RangeError(`reason "${feature}" has a non-finite contribution ${contribution}`);
      piece += `${k ? ',' : ''}('${tsvString(feature)}','`;
      const f = index.get(feature)!;
      const escaped = tsvString(words);
      if (compared[f] === 1) {
        const only = onlyOffset(words);
        if (only >= 0) {
          const cut = tsvString(words.slice(0, only)).length;
          put(piece + escaped.slice(0, cut));
          onlyAt[cuts] = w;
          put(escaped.slice(cut));
        } else {
          put(piece + escaped);
          onlyAt[cuts] = -1;
        }
        piece = '';
        cutRow[cuts] = r;
        cutAt[cuts] = w;
        cutFeature[cuts] = f;
        cutValue[cuts] = values[feature];
        cuts++;
      } else piece += escaped;
      piece += `',${contribution})`;
    }
    put(`${piece}]`);
    rowEnd[r] = w;
  }
  return {
    customerIds: set.customerIds.slice(start, end),
    probability,
    lapsed,
    bytes: bytes.subarray(0, w),
    rowEnd,
    cuts,
    cutRow: cutRow.subarray(0, cuts),
    cutAt: cutAt.subarray(0, cuts),
    onlyAt: onlyAt.subarray(0, cuts),
    cutFeature: cutFeature.subarray(0, cuts),
    cutValue: cutValue.subarray(0, cuts),
  };
}

/**
 * Where the one "only " that withoutOnly removes starts in text, −1 when it removes none. A text
 * with more than one (no phrase has that) is refused rather than finished wrongly.
 */
function onlyOffset(text: string): number {
  const plain = withoutOnly(text);
  if (plain === text) return -1;
  const at = text.search(/\bonly /);
  if (plain.length !== text.length - 5 || text.slice(0, at) + text.slice(at + 5) !== plain) {
    throw new Error(`reason text "${text}" has more than one "only " to weigh against the population`);
  }
  return at;
}

const indexes = new WeakMap<readonly string[], Map<string, number>>();
function indexOf(names: readonly string[]): Map<string, number> {
  let m = indexes.get(names);
  if (!m) indexes.set(names, (m = new Map(names.map((f, j) => [f, j]))));
  return m;
}

/** Each model feature's comparison with the population (undefined: its text is never changed), per population. */
const comparisonCache = new WeakMap<Population, WeakMap<readonly string[], { medians: unknown; list: (Comparison | undefined)[] }>>();
function comparisonsOf(names: readonly string[], population: Population, medians: Readonly<Record<string, number>> | undefined): (Comparison | undefined)[] {
  let byNames = comparisonCache.get(population);
  if (!byNames) comparisonCache.set(population, (byNames = new WeakMap()));
  let c = byNames.get(names);
  // The reference medians are the model's: another model with the same feature list has its own.
  if (!c || c.medians !== medians) byNames.set(names, (c = { medians, list: names.map((f) => comparisonOf(f, population, medians)) }));
  return c.list;
}

/** Encoded strings, built once each (the run's head and tail, the comparisons' suffixes). */
const encoded = new Map<string, Buffer>();
function bytesOf(s: string): Buffer {
  let b = encoded.get(s);
  if (!b) {
    if (encoded.size > 10_000) encoded.clear();
    encoded.set(s, (b = Buffer.from(s, 'utf8')));
  }
  return b;
}

/** Rows [start, end) of pending rows as TabSeparated lines (UTF-8), with their reasons' place in ctx.population. */
export function pendingRowsBytes(model: LoadedChurnModel, rows: PendingRows, start: number, end: number, ctx: RowContext): Buffer {
  const named = reasonFeaturesOf(model.file.features);
  const medians = model.file.predictor?.reference?.medians;
  const active = comparisonsOf(named, ctx.population, medians);
  const gone = ctx.lapsedPopulation ? comparisonsOf(named, ctx.lapsedPopulation, medians) : active;
  const { bytes, rowEnd, cuts, cutRow, cutAt, onlyAt, cutFeature, cutValue, lapsed } = rows;
  const head = bytesOf(ctx.head);
  const tail = bytesOf(ctx.tail);
  const from = start > 0 ? rowEnd[start - 1] : 0;
  const to = end > start ? rowEnd[end - 1] : from;
  // The longest suffixes are " — lower than 100% of lapsed customers with a score" (53 bytes) and
  // " — longer than the median low-risk customer" (45): 64 per reason is enough.
  let c = 0;
  while (c < cuts && cutRow[c] < start) c++;
  let last = c;
  while (last < cuts && cutRow[last] < end) last++;
  const out = Buffer.allocUnsafe(to - from + (end - start) * (head.length + tail.length) + (last - c) * 64);
  let w = 0;
  let pos = from;
  for (let r = start; r < end; r++) {
    w += head.copy(out, w);
    const comparisons = lapsed[r] === 1 ? gone : active;
    for (; c < last && cutRow[c] === r; c++) {
      const comparison = comparisons[cutFeature[c]];
      if (!comparison) continue;
      const place = placeOf(comparison, cutValue[c]);
      if (place === KEEP) continue;
      // The text up to its "only " (dropped when the value is not in the bottom quarter) …
      if (onlyAt[c] >= 0 && (place & KEEP_ONLY) === 0) {
        w += bytes.copy(out, w, pos, onlyAt[c]);
        pos = onlyAt[c] + 5;
      }
      // … the rest of the text and the comparison.
      w += bytes.copy(out, w, pos, cutAt[c]);
      pos = cutAt[c];
      const percent = place >> 3;
      if (place & WITH_SUFFIX) w += bytesOf(comparison.suffix(percent)).copy(out, w);
      else if (place & WITH_REFERENCE) w += bytesOf(comparison.referenceSuffix).copy(out, w);
    }
    w += bytes.copy(out, w, pos, rowEnd[r]);
    pos = rowEnd[r];
    w += tail.copy(out, w);
  }
  return out.subarray(0, w);
}

/**
 * placeOf's answer: bit 0 = keep "only", bit 1 = add the population suffix, bit 2 = add the
 * reference words instead, the bits above = the percent.
 */
const KEEP_ONLY = 1;
const WITH_SUFFIX = 2;
const WITH_REFERENCE = 4;
const KEEP = KEEP_ONLY;

/** What againstPopulation does to a text of comparison c for value, as placeOf's bits. */
function placeOf(c: Comparison, value: number): number {
  if (!(value - value === 0)) return KEEP;
  const share = c.high ? shareBelow(c.sample, value) : shareAbove(c.sample, value);
  const only = c.high || share >= 0.75 ? KEEP_ONLY : 0;
  if (share >= 0.5) return only | WITH_SUFFIX | (wholePercent(share) << 3);
  return referencePlace(c, value) ? only | WITH_REFERENCE : only;
}

/** Rows [start, end) of pending rows as TabSeparated lines, joined, with their reasons' place in ctx.population. */
export function pendingRowsTsv(model: LoadedChurnModel, rows: PendingRows, start: number, end: number, ctx: RowContext): string {
  return pendingRowsBytes(model, rows, start, end, ctx).toString('utf8');
}

/** Rows [start, end) of set: their TabSeparated lines, joined, and their probabilities. */
export function churnRowsTsv(model: LoadedChurnModel, set: RowSet, start: number, end: number, ctx: RowContext): { text: string; probability: Float64Array; lapsed: Uint8Array } {
  const rows = pendingRows(model, set, start, end, ctx.limit, ctx.format);
  return { text: pendingRowsTsv(model, rows, 0, end - start, ctx), probability: rows.probability, lapsed: rows.lapsed };
}
