import type { EChartsOption, ECharts } from 'echarts';
import type { Action } from 'svelte/action';

/**
 * THE one place ECharts is touched (after Evidence's echarts action): init on mount,
 * `setOption(option, true)` on every update (notMerge, so a series that disappeared is gone),
 * a debounced ResizeObserver, `dispose()` on destroy. Chart components only build options.
 *
 * When a chart has drawn its first frame the node gets `data-rendered="true"` and a
 * `chartrendered` event (the e2e tests and bench/web.ts wait for these). The instance is also
 * reachable as `node.echartsInstance`, so a test can click a bar at its real pixel position.
 */
export interface ChartClick {
  /** Category (axis value) of the clicked item: the raw key, not the label. */
  name: string;
  dataIndex: number;
  seriesIndex: number;
  seriesName?: string;
  /** The data item: a number or [x, y, value] for heatmaps. */
  value: unknown;
}

export interface EChartsParams {
  option: EChartsOption;
  /** Canvas in browsers; SVG in jsdom (no canvas) and for crisp exports. */
  renderer?: 'canvas' | 'svg';
  onclick?: (click: ChartClick) => void;
}

export const RESIZE_DEBOUNCE_MS = 120;

export const echarts: Action<HTMLElement, EChartsParams> = (node, initial) => {
  let params = initial;
  let chart: ECharts | undefined;
  let destroyed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  void (params.renderer === 'svg' ? import('./echarts-svg.ts') : import('./echarts-lib.ts')).then(({ default: lib }) => {
    if (destroyed) return;
    chart = lib.init(node, undefined, { renderer: params.renderer ?? 'canvas' });
    (node as HTMLElement & { echartsInstance?: ECharts }).echartsInstance = chart;
    chart.on('click', (p) => {
      const e = p as unknown as ChartClick;
      params.onclick?.({ name: e.name, dataIndex: e.dataIndex, seriesIndex: e.seriesIndex, seriesName: e.seriesName, value: e.value });
    });
    chart.on('finished', () => {
      if (node.dataset.rendered !== 'true') {
        node.dataset.rendered = 'true';
        node.dispatchEvent(new CustomEvent('chartrendered', { bubbles: true }));
      }
    });
    chart.setOption(params.option, true);
  });

  const resize = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => chart?.resize(), RESIZE_DEBOUNCE_MS);
  };
  // jsdom (unit tests) has no ResizeObserver: fall back to window resizes there.
  const observer = typeof ResizeObserver === 'undefined' ? undefined : new ResizeObserver(resize);
  if (observer) observer.observe(node);
  else window.addEventListener('resize', resize);

  return {
    update(next) {
      params = next;
      chart?.setOption(next.option, true);
    },
    destroy() {
      destroyed = true;
      clearTimeout(timer);
      if (observer) observer.disconnect();
      else window.removeEventListener('resize', resize);
      chart?.dispose();
      chart = undefined;
      delete (node as HTMLElement & { echartsInstance?: ECharts }).echartsInstance;
    },
  };
};
