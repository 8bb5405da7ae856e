// @vitest-environment jsdom
import { cleanup, render } from '@testing-library/svelte';
import { afterEach, expect, test, vi } from 'vitest';
import Chart from '../components/Chart.svelte';
import { trendOption } from './options/trend.ts';

afterEach(() => cleanup());

const option = (values: number[]) =>
  trendOption({ buckets: ['2026-01-01T00:00:00.000', '2026-02-01T00:00:00.000'], values, granularity: 'month', format: 'currency', name: 'Revenue' });

// jsdom has no layout: give the chart box a size so ECharts draws.
Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 600 });
Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 300 });

test('the action draws the option (SVG renderer), updates it and disposes on destroy', async () => {
  const { container, rerender, unmount } = render(Chart, { option: option([10, 20]), label: 'Revenue', renderer: 'svg', height: 300 });
  const box = container.querySelector('[data-chart]') as HTMLElement;
  await vi.waitFor(() => expect(box.querySelector('svg')).not.toBeNull(), { timeout: 10_000 });
  await vi.waitFor(() => expect(box.dataset.rendered).toBe('true'), { timeout: 10_000 });
  const { default: lib } = await import('./echarts-lib.ts');
  const chart = lib.getInstanceByDom(box.firstElementChild?.parentElement as HTMLElement) ?? lib.getInstanceByDom(box);
  expect(chart).toBeDefined();
  await rerender({ option: option([30, 40]), label: 'Revenue', renderer: 'svg', height: 300 });
  const series = (chart!.getOption().series as { data: number[] }[])[0];
  expect(series.data).toEqual([30, 40]);
  unmount();
  expect(chart!.isDisposed()).toBe(true);
});
