import { describe, expect, test } from 'vitest';
import type { EChartsOption } from 'echarts';
import {
  hatchPartialBars,
  incompleteMarkArea,
  INCOMPLETE_LABEL,
  monthAfter,
  partialBuckets,
  runningMonth,
} from './incomplete.ts';
import { cohortHeatmapOption } from './cohort-heatmap.ts';
import { trendOption } from './trend.ts';
import { dualTrendOption } from './dual-trend.ts';

type MarkArea = { data: [{ xAxis: string; name?: string }, { xAxis: string }][]; label: { show: boolean } };
type Series = { type: string; data: unknown[]; markArea?: MarkArea };
const seriesOf = (o: EChartsOption): Series[] => o.series as Series[];
const month = (m: string) => `${m}-01T00:00:00.000`;

describe('which buckets are partial', () => {
  test('year to date as of Saturday 5 Dec 2026: only December (5 of 31 days)', () => {
    const buckets = ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'].map((m) =>
      month(`2026-${m}`),
    );
    const flags = partialBuckets(buckets, 'month', { from: '2026-01-01', to: '2026-12-05' }, '2026-12-05');
    expect(flags.map((f, i) => (f ? i : -1)).filter((i) => i >= 0)).toEqual([11]);
  });

  test('last 12 full months: none', () => {
    const buckets = ['2025-12', '2026-01', '2026-11'].map(month);
    expect(partialBuckets(buckets, 'month', { from: '2025-12-01', to: '2026-11-30' }, '2026-12-05')).toEqual([
      false,
      false,
      false,
    ]);
  });

  test('weeks: the week the range starts inside (from Wednesday 9 Sep) and the running week (as of Saturday 5 Dec)', () => {
    const buckets = [
      '2026-09-07T00:00:00.000',
      '2026-09-14T00:00:00.000',
      '2026-11-23T00:00:00.000',
      '2026-11-30T00:00:00.000',
    ];
    expect(partialBuckets(buckets, 'week', { from: '2026-09-09', to: '2026-12-05' }, '2026-12-05')).toEqual([
      true,
      false,
      false,
      true,
    ]);
  });

  test('days are never partial', () => {
    expect(
      partialBuckets(['2026-12-05T00:00:00.000'], 'day', { from: '2026-11-06', to: '2026-12-05' }, '2026-12-05'),
    ).toEqual([false]);
  });
});

describe('the mark', () => {
  const buckets = ['2026-10', '2026-11', '2026-12'].map(month);
  const partial = [false, false, true];

  test('bars: a labelled area over the partial bucket, the bar hatched with its value kept', () => {
    const o = trendOption({
      buckets,
      values: [10, 20, 3],
      previous: [9, 18, 2],
      granularity: 'month',
      format: 'currency',
      name: 'Revenue',
      partial,
    });
    const [bars, prev] = seriesOf(o);
    expect(bars.markArea?.data).toEqual([[{ xAxis: buckets[2], name: INCOMPLETE_LABEL }, { xAxis: buckets[2] }]]);
    expect(bars.markArea?.label.show).toBe(true);
    expect(bars.data.slice(0, 2)).toEqual([10, 20]);
    expect(bars.data[2]).toMatchObject({ value: 3, itemStyle: { borderType: 'dashed', decal: { symbol: 'rect' } } });
    // The previous period's line is not re-marked (the area covers both) and keeps its values.
    expect(prev.markArea).toBeUndefined();
    expect(prev.data).toEqual([9, 18, 2]);
  });

  test('a line: the area runs from the bucket before to the partial one', () => {
    const o = trendOption({
      buckets,
      values: [1, 2, 3],
      granularity: 'month',
      format: 'number',
      name: 'Orders',
      kind: 'line',
      partial,
    });
    expect(seriesOf(o)[0].markArea?.data).toEqual([
      [{ xAxis: buckets[1], name: INCOMPLETE_LABEL }, { xAxis: buckets[2] }],
    ]);
    expect(incompleteMarkArea(buckets, [true, false, false], false)?.data).toEqual([
      [{ xAxis: buckets[0], name: INCOMPLETE_LABEL }, { xAxis: buckets[1] }],
    ]);
  });

  test('no partial bucket: no mark, data untouched', () => {
    const o = trendOption({
      buckets,
      values: [1, 2, 3],
      granularity: 'month',
      format: 'number',
      name: 'Orders',
      partial: [false, false, false],
    });
    expect(seriesOf(o)[0].markArea).toBeUndefined();
    expect(seriesOf(o)[0].data).toEqual([1, 2, 3]);
    expect(hatchPartialBars([1, null], undefined, '#000')).toEqual([1, null]);
  });

  test('dual trend: the bar series carries the mark, the line its values', () => {
    const o = dualTrendOption({
      buckets,
      granularity: 'month',
      partial,
      left: { name: 'Lost value', values: [100, 200, 30], format: 'currency', kind: 'bar' },
      right: { name: 'Lost deals', values: [1, 2, 1], format: 'number', kind: 'line' },
    });
    const [bars, line] = seriesOf(o);
    expect(bars.markArea?.data).toHaveLength(1);
    expect(bars.data[2]).toMatchObject({ value: 30 });
    expect(line.markArea).toBeUndefined();
    expect(line.data).toEqual([1, 2, 1]);
  });
});

describe('cohort cells of the running month', () => {
  test('the running month and calendar months after a cohort', () => {
    expect(runningMonth('2026-12-05')).toBe('2026-12');
    expect(runningMonth('2026-11-30')).toBeUndefined();
    expect(runningMonth('2024-02-29')).toBeUndefined();
    expect(monthAfter('2025-11-01T00:00:00.000', 1)).toBe('2025-12');
    expect(monthAfter('2025-11-01T00:00:00.000', 2)).toBe('2026-01');
    expect(monthAfter('2025-12-01T00:00:00.000', 12)).toBe('2026-12');
  });

  test('as of 5 Dec 2026 the cells in December 2026 are dashed, the others plain', () => {
    const cells = [
      { cohort: '2026-10-01T00:00:00.000', offset: 0, rate: 1 },
      { cohort: '2026-10-01T00:00:00.000', offset: 1, rate: 0.4 },
      { cohort: '2026-10-01T00:00:00.000', offset: 2, rate: 0.1 }, // December
      { cohort: '2026-11-01T00:00:00.000', offset: 1, rate: 0.05 }, // December
      { cohort: '2026-12-01T00:00:00.000', offset: 0, rate: 1 }, // December
    ];
    const data = (cohortHeatmapOption({ cells, incompleteMonth: '2026-12' }).series as { data: unknown[] }[])[0].data;
    const dashed = data.map((d, i) => (Array.isArray(d) ? -1 : i)).filter((i) => i >= 0);
    expect(dashed).toEqual([2, 3, 4]);
    expect(data[2]).toMatchObject({ value: [2, 0, 0.1, null], itemStyle: { borderType: 'dashed' } });
    const plain = (cohortHeatmapOption({ cells }).series as { data: unknown[] }[])[0].data;
    expect(plain.every(Array.isArray)).toBe(true);
  });
});
