/**
 * The parts of ECharts the dashboard uses, registered once (tree-shaken: about a third of the
 * full bundle). Loaded lazily by the action, so the first paint of a page does not wait for it;
 * the cockpit imports it itself so its HTML preloads it. Canvas only: the SVG renderer (jsdom
 * specs, exports) is its own chunk, registered when a chart asks for it (echarts-svg.ts).
 */
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts';
import {
  AriaComponent,
  GridComponent,
  LegendPlainComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  BarChart,
  HeatmapChart,
  LineChart,
  AriaComponent,
  GridComponent,
  LegendPlainComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
  CanvasRenderer,
]);

export default echarts;
