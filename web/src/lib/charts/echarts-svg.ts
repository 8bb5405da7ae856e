/**
 * ECharts with its SVG renderer registered too: for jsdom (no canvas) and crisp exports. Kept out
 * of echarts-lib.ts so the pages' canvas charts do not download it (about 60 kB).
 */
import { SVGRenderer } from 'echarts/renderers';
import echarts from './echarts-lib.ts';

echarts.use([SVGRenderer]);

export default echarts;
