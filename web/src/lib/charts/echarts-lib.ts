/**
 * The parts of ECharts the dashboard uses, registered once (tree-shaken: about a third of the
 * full bundle). Loaded lazily by the action, so the first paint of a page does not wait for it;
 * the cockpit imports it itself so its HTML preloads it. Canvas only: the SVG renderer (jsdom
 * specs, exports) is its own chunk, registered when a chart asks for it (echarts-svg.ts).
 */
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart, ScatterChart } from 'echarts/charts';
import {
  AriaComponent,
  GridComponent,
  LegendPlainComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

// Every series type and mark an option builder (charts/options) uses must be here: ECharts drops an
// unregistered one without a word. Without ScatterChart the model card's calibration chart showed
// only its diagonal (no held-out points); without MarkAreaComponent the trend charts' notes said
// "Shaded: an incomplete month" over an unshaded one. registered.spec.ts draws each builder's option.
echarts.use([
  BarChart,
  HeatmapChart,
  LineChart,
  ScatterChart,
  AriaComponent,
  GridComponent,
  LegendPlainComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
  CanvasRenderer,
]);

export default echarts;
