/**
 * Binary classification metrics for churn scores. All take (labels, scores) with labels 0/1, and
 * treat tied scores as one threshold (no dependence on input order).
 */

type Labels = ArrayLike<number>;
type Scores = ArrayLike<number>;

function check(labels: Labels, scores: Scores): void {
  if (labels.length !== scores.length) throw new RangeError(`${labels.length} labels for ${scores.length} scores`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new RangeError(`labels[${i}] = ${labels[i]}: labels must be 0 or 1`);
    if (Number.isNaN(scores[i])) throw new RangeError(`scores[${i}] is NaN`);
  }
}

/** Row indices ordered by descending score. */
function byScoreDesc(scores: Scores): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => scores[b] - scores[a]);
}

/**
 * Area under the ROC curve, as the Mann–Whitney statistic: the probability that a random positive
 * scores above a random negative, ties counting one half (average ranks). NaN with one class only.
 */
export function rocAuc(labels: Labels, scores: Scores): number {
  check(labels, scores);
  const order = byScoreDesc(scores);
  const n = order.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i];
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  // Walk from the top score down: each positive beats every negative below it, and half of the
  // negatives tied with it.
  let wins = 0;
  let negativesAbove = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    let pos = 0;
    let neg = 0;
    const s = scores[order[i]];
    for (; j < n && scores[order[j]] === s; j++) {
      if (labels[order[j]] === 1) pos++;
      else neg++;
    }
    wins += pos * (negatives - negativesAbove - neg) + 0.5 * pos * neg;
    negativesAbove += neg;
    i = j;
  }
  return wins / (positives * negatives);
}

/**
 * Area under the precision–recall curve as average precision (sklearn's average_precision_score):
 * Σ over distinct score thresholds, high to low, of (recall gain) × (precision at that threshold).
 * No interpolation. NaN without positives.
 */
export function prAuc(labels: Labels, scores: Scores): number {
  check(labels, scores);
  const order = byScoreDesc(scores);
  const n = order.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i];
  if (positives === 0) return NaN;
  let ap = 0;
  let tp = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    let pos = 0;
    const s = scores[order[i]];
    for (; j < n && scores[order[j]] === s; j++) pos += labels[order[j]];
    tp += pos;
    ap += (pos / positives) * (tp / j);
    i = j;
  }
  return ap;
}

/** Mean squared difference between the predicted probability and the 0/1 outcome. */
export function brier(labels: Labels, scores: Scores): number {
  check(labels, scores);
  if (labels.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < labels.length; i++) s += (scores[i] - labels[i]) ** 2;
  return s / labels.length;
}

/**
 * Churn rate among the `fraction` highest-scored rows divided by the overall churn rate. The cut
 * takes ceil(fraction · n) rows; a group of tied scores straddling it counts its positives pro rata
 * (the expected value over random tie-breaking). NaN without positives.
 */
export function liftAt(labels: Labels, scores: Scores, fraction: number): number {
  check(labels, scores);
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`fraction must be in (0, 1], got ${fraction}`);
  const n = labels.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i];
  if (positives === 0) return NaN;
  const k = Math.ceil(fraction * n);
  const order = byScoreDesc(scores);
  let taken = 0;
  let hits = 0;
  for (let i = 0; i < n && taken < k; ) {
    let j = i;
    let pos = 0;
    const s = scores[order[i]];
    for (; j < n && scores[order[j]] === s; j++) pos += labels[order[j]];
    const size = j - i;
    const take = Math.min(size, k - taken);
    hits += (pos * take) / size;
    taken += take;
    i = j;
  }
  return hits / k / (positives / n);
}

/** liftAt(labels, scores, 0.1). */
export function liftTopDecile(labels: Labels, scores: Scores): number {
  return liftAt(labels, scores, 0.1);
}
