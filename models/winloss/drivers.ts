/**
 * Win/loss drivers: for the closed deals of a slice (all deals, a region, a product, an owner), a
 * logistic regression of "lost" on every usable factor at once, then each factor's adjusted loss
 * risk ratio (estimate.ts) with its 95% CI, and which are significant after Holm's correction over
 * the slice's factors. Correlation controlled for the listed factors — not an experiment: a factor
 * that travels with an unlisted cause gets its credit.
 */
import { fitLogisticCov, holm, standardizedRiskRatio, type LogisticFitWithCovariance } from './estimate.ts';
import { factorDesign, type FactorContext, type FactorDesign } from './factors.ts';
import type { DealFeatures, DealRecord } from './features.ts';

/** A slice needs this many closed deals before it gets drivers. */
export const MIN_SLICE_DEALS = 120;
/** A factor needs this many closed deals with it and without it in the slice. */
export const MIN_EACH = 30;
export const ALPHA = 0.05;

export interface DriverRow {
  slice_dim: 'all' | 'region' | 'product' | 'owner';
  slice_value: string;
  owner_id: string;
  factor: string;
  label: string;
  direction: 'loss' | 'win';
  effect: number;
  ci_low: number;
  ci_high: number;
  p_value: number;
  n_with: number;
  n_without: number;
  lost_with: number;
  lost_without: number;
  significant: boolean;
  rank: number;
}

export interface SliceModel {
  design: FactorDesign;
  fit: LogisticFitWithCovariance;
  /** Deal indices the design rows stand for. */
  rows: number[];
  drivers: DriverRow[];
}

/** Drivers of one slice; undefined when it has too few closed deals or no usable factor. */
export function sliceDrivers(
  deals: readonly DealRecord[],
  features: readonly DealFeatures[],
  rows: number[],
  ctx: FactorContext,
  slice: { dim: DriverRow['slice_dim']; value: string },
): SliceModel | undefined {
  const closed = rows.filter((i) => deals[i].status !== 'open');
  if (closed.length < MIN_SLICE_DEALS) return undefined;
  const exclude = slice.dim === 'region' ? ['region'] : slice.dim === 'product' ? ['product'] : [];
  const design = factorDesign(deals, features, closed, ctx, { minEach: MIN_EACH, exclude });
  if (design.p === 0) return undefined;
  const y = Float64Array.from(closed, (i) => (deals[i].status === 'lost' ? 1 : 0));
  const fit = fitLogisticCov(design.x, design.n, design.p, y);
  const raw = design.columns.map((col, j) => {
    const rr = standardizedRiskRatio(fit, design.x, design.n, design.p, j, design.siblings[j]);
    let nWith = 0;
    let lostWith = 0;
    let nWithout = 0;
    let lostWithout = 0;
    for (let r = 0; r < design.n; r++) {
      // A level is compared with its reference level only; a binary factor with everyone else.
      const has = design.x[r * design.p + j] === 1;
      const inReference = col.kind === 'binary' || design.siblings[j].every((k) => design.x[r * design.p + k] === 0);
      if (has) {
        nWith++;
        lostWith += y[r];
      } else if (inReference) {
        nWithout++;
        lostWithout += y[r];
      }
    }
    return { col, rr, nWith, nWithout, lostWith, lostWithout };
  });
  const adjusted = holm(raw.map((r) => r.rr.pValue));
  const drivers: DriverRow[] = raw.map((r, k) => ({
    slice_dim: slice.dim,
    slice_value: slice.value,
    owner_id: slice.dim === 'owner' ? slice.value : '',
    factor: r.col.id,
    label: r.col.label,
    direction: r.rr.ratio >= 1 ? 'loss' : 'win',
    effect: r.rr.ratio,
    ci_low: r.rr.ciLow,
    ci_high: r.rr.ciHigh,
    p_value: r.rr.pValue,
    n_with: r.nWith,
    n_without: r.nWithout,
    lost_with: r.lostWith,
    lost_without: r.lostWithout,
    significant: adjusted[k] < ALPHA && r.nWith >= MIN_EACH && r.nWithout >= MIN_EACH,
    rank: 0,
  }));
  [...drivers]
    .sort((a, b) => Math.abs(Math.log(b.effect)) - Math.abs(Math.log(a.effect)) || a.factor.localeCompare(b.factor))
    .forEach((d, k) => (d.rank = k + 1));
  drivers.sort((a, b) => a.rank - b.rank);
  return { design, fit, rows: closed, drivers };
}

/** Drivers for all deals and for every region, product and owner with enough closed deals. */
export function allDrivers(
  deals: readonly DealRecord[],
  features: readonly DealFeatures[],
  ctx: FactorContext,
): { all: SliceModel | undefined; rows: DriverRow[] } {
  const everyone = deals.map((_, i) => i);
  const all = sliceDrivers(deals, features, everyone, ctx, { dim: 'all', value: '' });
  const out: DriverRow[] = [...(all?.drivers ?? [])];
  const dims: [DriverRow['slice_dim'], (d: DealRecord) => string][] = [
    ['region', (d) => d.region],
    ['product', (d) => d.product],
    ['owner', (d) => d.owner_id],
  ];
  for (const [dim, key] of dims) {
    const groups = new Map<string, number[]>();
    deals.forEach((d, i) => {
      const v = key(d);
      if (!v) return;
      const list = groups.get(v);
      if (list) list.push(i);
      else groups.set(v, [i]);
    });
    for (const [value, rows] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
      const m = sliceDrivers(deals, features, rows, ctx, { dim, value });
      if (m) out.push(...m.drivers);
    }
  }
  return { all, rows: out };
}
