import type { Filters } from '../filters/url-filters.ts';
import type { CubeFilter, CubeQuery, Row } from '../cube/types.ts';
import { formatNumber, formatRatio, formatRatioRange, toNumber } from '../format/format.ts';

/**
 * The drivers panel of the lost-orders page (issue 18): which factors move how often deals are
 * lost, from the semantic layer's `loss_drivers` view. The win/loss model estimates drivers per
 * slice (all deals, a region, a product, an owner), so the page's filters choose a slice: the owner
 * filter (or the signed-in owner) first, then the region, else all deals. A slice with too few
 * closed deals has no drivers; the panel then falls back to the next one and says so. Filters no
 * slice can honour (channel, the date range) are named, never silently ignored.
 */
export interface Slice {
  dim: 'all' | 'region' | 'owner' | 'product';
  value: string;
}

export const ALL_DEALS: Slice = { dim: 'all', value: '' };

/** Slices to try, most specific first; the last is always all deals. */
export function candidateSlices(f: Pick<Filters, 'owner' | 'region'>, signedInOwner?: string): Slice[] {
  const out: Slice[] = [];
  const owner = signedInOwner || f.owner;
  if (owner) out.push({ dim: 'owner', value: owner });
  if (f.region) out.push({ dim: 'region', value: f.region });
  out.push(ALL_DEALS);
  return out;
}

const sliceFilter = (s: Slice): CubeFilter => ({
  and: [
    { member: 'loss_drivers.slice_dim', operator: 'equals', values: [s.dim] },
    // An equals filter with '' matches nothing in Cube; the 'all' slice is identified by slice_dim alone.
    ...(s.dim === 'all' ? [] : [{ member: 'loss_drivers.slice_value', operator: 'equals' as const, values: [s.value] }]),
  ],
});

export const DRIVER_DIMENSIONS = [
  'loss_drivers.slice_dim',
  'loss_drivers.slice_value',
  'loss_drivers.factor',
  'loss_drivers.factor_label',
  'loss_drivers.direction',
  'loss_drivers.effect',
  'loss_drivers.ci_low',
  'loss_drivers.ci_high',
  'loss_drivers.deals_with',
  'loss_drivers.deals_behind',
  'loss_drivers.is_significant',
  'loss_drivers.driver_rank',
];

/** Every candidate slice's drivers in one query; `significantOnly` keeps the significant ones. */
export function driversQuery(slices: Slice[], significantOnly: boolean): CubeQuery {
  const filters: CubeFilter[] = [slices.length === 1 ? sliceFilter(slices[0]) : { or: slices.map(sliceFilter) }];
  if (significantOnly) filters.push({ member: 'loss_drivers.is_significant', operator: 'equals', values: ['true'] });
  return {
    dimensions: DRIVER_DIMENSIONS,
    filters,
    order: [['loss_drivers.driver_rank', 'asc'], ['loss_drivers.factor', 'asc']],
    limit: 500,
  };
}

const sliceOf = (r: Row): Slice => ({ dim: String(r['loss_drivers.slice_dim']) as Slice['dim'], value: String(r['loss_drivers.slice_value'] ?? '') });
const same = (a: Slice, b: Slice): boolean => a.dim === b.dim && (a.dim === 'all' || a.value === b.value);

/** The first candidate slice that has rows, and its rows in rank order. */
export function pickSlice(rows: Row[], slices: Slice[]): { slice: Slice; rows: Row[] } | undefined {
  for (const s of slices) {
    const mine = rows.filter((r) => same(sliceOf(r), s));
    if (mine.length) return { slice: s, rows: mine };
  }
  return undefined;
}

export interface Driver {
  factor: string;
  label: string;
  direction: 'loss' | 'win';
  effect: number;
  ciLow: number;
  ciHigh: number;
  n: number;
  nWith: number;
  significant: boolean;
}

export function toDriver(r: Row): Driver {
  const n = (k: string): number => toNumber(r[k] as string) ?? NaN;
  const significant = r['loss_drivers.is_significant'];
  return {
    factor: String(r['loss_drivers.factor'] ?? ''),
    label: String(r['loss_drivers.factor_label'] ?? ''),
    direction: r['loss_drivers.direction'] === 'win' ? 'win' : 'loss',
    effect: n('loss_drivers.effect'),
    ciLow: n('loss_drivers.ci_low'),
    ciHigh: n('loss_drivers.ci_high'),
    n: n('loss_drivers.deals_behind'),
    nWith: n('loss_drivers.deals_with'),
    significant: significant === true || significant === 'true' || significant === 1 || significant === '1',
  };
}

/** "lost 2.3× as often" / "lost 0.96× as often (less)" (formatRatio: never "1.0×" for a ratio that is not one). */
export const effectText = (d: Pick<Driver, 'effect'>): string => `lost ${formatRatio(d.effect)} as often${d.effect < 1 ? ' (less)' : ''}`;

/** "95% CI 1.9–2.8×", "95% CI 1.25–1.33×" (digits enough that the bounds differ: formatRatioRange). */
export const ciText = (d: Pick<Driver, 'ciLow' | 'ciHigh'>): string => `95% CI ${formatRatioRange(d.ciLow, d.ciHigh)}`;

/** "no meeting in the 21 days before close: lost 2.3× as often, 95% CI 1.9–2.8×, n = 412". */
export const driverSentence = (d: Driver): string => `${d.label}: ${effectText(d)}, ${ciText(d)}, n = ${formatNumber(d.n)}`;

export function sliceLabel(s: Slice, ownerName: (id: string) => string = (id) => id): string {
  switch (s.dim) {
    case 'owner':
      return `deals of ${ownerName(s.value)}`;
    case 'region':
      return `deals in ${s.value}`;
    case 'product':
      return `deals for ${s.value}`;
    default:
      return 'all deals';
  }
}

/**
 * What the panel must say about the filters: which the slice honours and which not. `chosen` is
 * the slice shown (undefined: none had drivers).
 */
export function sliceNotes(f: Pick<Filters, 'owner' | 'region' | 'channel' | 'segment'>, slices: Slice[], chosen: Slice | undefined, ownerName?: (id: string) => string): string[] {
  const notes: string[] = [];
  const wanted = slices[0];
  if (chosen && !same(chosen, wanted)) {
    notes.push(`Too few closed ${sliceLabel(wanted, ownerName)} to estimate drivers: showing ${sliceLabel(chosen, ownerName)}.`);
  }
  if (chosen?.dim === 'owner' && f.region) notes.push('Drivers are estimated per owner or per region, not both: the region filter is not applied here.');
  const unsupported = [f.channel && 'channel', f.segment && 'segment'].filter(Boolean);
  if (unsupported.length) notes.push(`Not filtered by ${unsupported.join(', ')} (drivers are estimated per region, product or owner).`);
  notes.push('Estimated on all closed deals of the latest win/loss model run, not only the selected period.');
  return notes;
}
