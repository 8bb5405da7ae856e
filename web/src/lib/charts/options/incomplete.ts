import type { BarSeriesOption, MarkAreaComponentOption } from 'echarts';
import { isMonthEnd, isPartialBucket, type DayRange } from '../../../../../lib/periods.ts';
import { bucketRange } from '../../cube/buckets.ts';
import type { Granularity } from '../../format/format.ts';
import { COLORS } from './theme.ts';

/**
 * The incomplete-period mark every time chart carries (issue 15, item 2): a bucket that covers
 * fewer days than its length — the as-of month while it runs, or a week the range starts inside —
 * is shaded with an "Incomplete" label and its bar hatched, so a 5-day month is not read as a
 * collapse. Pure: the option builders (trend.ts, dual-trend.ts) call these.
 */
export const INCOMPLETE_LABEL = 'Incomplete';

/** Per bucket key (Cube's bucket starts), whether the bucket is partial for `range` as of `asOf`. */
export function partialBuckets(buckets: string[], granularity: Granularity, range: DayRange, asOf: string): boolean[] {
  return buckets.map((b) => isPartialBucket(bucketRange(b, granularity), range, asOf));
}

/**
 * A markArea over each partial bucket. On a category axis with bands (any bar series) an area from
 * a bucket to itself covers the bucket's band; a line-only chart has no bands, so the area runs
 * from the neighbouring bucket to the partial one (the segment that leads to the partial point).
 */
export function incompleteMarkArea(
  buckets: string[],
  partial: boolean[] | undefined,
  bands: boolean,
): MarkAreaComponentOption | undefined {
  if (!partial?.some(Boolean)) return undefined;
  const area = (from: string, to: string): NonNullable<MarkAreaComponentOption['data']>[number] => [
    { xAxis: from, name: INCOMPLETE_LABEL },
    { xAxis: to },
  ];
  const data = buckets.flatMap((b, i) => {
    if (!partial[i]) return [];
    if (bands || buckets.length === 1) return [area(b, b)];
    return [i > 0 ? area(buckets[i - 1], b) : area(b, buckets[i + 1])];
  });
  return {
    silent: true,
    itemStyle: {
      color: 'rgba(148, 163, 184, 0.22)',
      borderColor: COLORS.previous,
      borderType: 'dashed',
      borderWidth: 1,
    },
    label: { show: true, position: 'insideTop', color: COLORS.muted, fontSize: 11 },
    data,
  };
}

/** Bar data with the partial buckets hatched and lighter (the value is unchanged: tooltips and clicks read it). */
export function hatchPartialBars(
  values: (number | null)[],
  partial: boolean[] | undefined,
  color: string,
): NonNullable<BarSeriesOption['data']> {
  if (!partial?.some(Boolean)) return values;
  return values.map((v, i) =>
    partial[i]
      ? {
          value: v,
          itemStyle: {
            color,
            opacity: 0.55,
            borderColor: color,
            borderType: 'dashed',
            borderWidth: 1,
            decal: {
              symbol: 'rect',
              symbolSize: 1,
              dashArrayX: [1, 0],
              dashArrayY: [2, 4],
              rotation: -Math.PI / 4,
              color: 'rgba(255, 255, 255, 0.6)',
            },
          },
        }
      : v,
  );
}

/** The month still running on the as-of day ('YYYY-MM'), or undefined when the as-of day ends its month. */
export const runningMonth = (asOf: string): string | undefined => (isMonthEnd(asOf) ? undefined : asOf.slice(0, 7));

/** The calendar month ('YYYY-MM') `offset` months after a cohort month ('YYYY-MM-…'). */
export function monthAfter(cohort: string, offset: number): string {
  const y = Number(cohort.slice(0, 4));
  const m = Number(cohort.slice(5, 7)) - 1 + offset;
  return `${y + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}`;
}

/** The style of a heatmap cell that covers a running month: a dashed dark border. */
export const INCOMPLETE_CELL_STYLE = { borderColor: COLORS.muted, borderType: 'dashed', borderWidth: 1.5 } as const;
