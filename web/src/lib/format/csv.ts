/**
 * CSV for exports (RFC 4180: comma-separated, CRLF, fields quoted when needed). Cells that a
 * spreadsheet would run as a formula (=, +, -, @, tab, CR at the start) are prefixed with a quote
 * (OWASP "CSV injection"), except plain numbers such as -12.5.
 */
const NUMBER = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s) && !NUMBER.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s;
}

export const csvRow = (values: unknown[]): string => `${values.map(csvCell).join(',')}\r\n`;
