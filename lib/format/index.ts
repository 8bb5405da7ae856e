/**
 * THE formatting of numbers, amounts, shares, days and dates for every page, digest, reason text
 * and export (issue 15, "One formatting module"). Pure functions over Intl; each takes an optional
 * FormatContext (locale + base currency) that the caller gets from its configuration — this module
 * reads no environment, so the browser, the alerts and the models can all import it.
 *
 * Exports (CSV) do not use display strings: see export-values.ts (rounded numbers, units in headers).
 */
export { DEFAULT_FORMAT, MISSING, formatContextOf, toNumber, type FormatContext, type Num } from './context.ts';
export { COMPACT_FROM, COMPACT_SIGNIFICANT_DIGITS, currencySymbol, formatMoney, type MoneyOptions } from './money.ts';
export { beyondShownDigits } from './shown-digits.ts';
export {
  formatChange,
  formatDays,
  formatNumber,
  formatPercent,
  formatPointChange,
  formatPoints,
  formatProbability,
  formatQuantity,
  formatRatio,
  formatRatioRange,
  formatScore,
  relativeChange,
} from './numbers.ts';
export { formatDate, formatDateTime, formatPeriod, parseDay, type Granularity } from './dates.ts';
export { checkDateInput, parseDateInput, type DateInput } from './date-input.ts';
export { exportValue, exportHeader, type ExportUnit } from './export-values.ts';
