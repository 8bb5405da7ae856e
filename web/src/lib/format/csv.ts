import { neutraliseFormula } from '../../../../lib/csv/escape-cell.ts';

/**
 * CSV for exports (RFC 4180: comma-separated, CRLF, fields quoted when needed). Cells that a
 * spreadsheet would run as a formula (=, +, -, @, tab, CR at the start) get a leading apostrophe
 * (OWASP "CSV injection"), except plain numbers such as -12.5: the rule is lib/csv/escape-cell.ts,
 * the same one ingest's rejects file uses, so the product has one definition of a safe cell.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = neutraliseFormula(String(value));
  // Leading or trailing spaces are quoted so that no reader trims them away.
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s;
}

export const csvRow = (values: unknown[]): string => `${values.map(csvCell).join(',')}\r\n`;
