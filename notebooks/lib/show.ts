/** Output of notebook cells: charts as inline SVG, tables as HTML (tslab's display). */
import { display } from 'tslab';
import { renderSvg, type ChartOption, type ChartSize } from './charts.js';
import { htmlTable, recordsTable, type TableLike, type TableOptions } from './frames.js';

export function showChart(option: ChartOption, size?: ChartSize): void {
  display.html(renderSvg(option, size));
}

export function showTable(frame: TableLike, options?: TableOptions): void {
  display.html(htmlTable(frame, options));
}

export function showRecords(records: readonly object[], options?: TableOptions & { columns?: string[] }): void {
  display.html(recordsTable(records, options));
}

export function showMarkdown(text: string): void {
  display.markdown(text);
}
