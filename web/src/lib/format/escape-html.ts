/**
 * Text → HTML text. The one escape for every place that builds HTML from data by hand (ECharts
 * tooltip formatters: ECharts puts a formatter's string into the tooltip with innerHTML). Svelte
 * markup escapes on its own; nothing in the dashboard uses {@html}.
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(/[&<>"'`]/g, (c) => ENTITIES[c]);
}
