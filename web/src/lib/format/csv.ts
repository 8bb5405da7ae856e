import { csvCell as escapedCell } from '../../../../lib/csv/escape-cell.ts';

/**
 * CSV for exports (RFC 4180: comma-separated, CRLF, fields quoted when needed). Cells that a
 * spreadsheet would run as a formula (=, +, -, @, tab, CR at the start) get a leading apostrophe
 * (OWASP "CSV injection"), except plain numbers such as -12.5, and so does one after a `;` or tab,
 * where Excel in a `;` locale starts a cell; such fields are quoted too. The one rule
 * is lib/csv/escape-cell.ts's csvCell, the same one ingest's rejects file and the privacy export use.
 */
export const csvCell = (value: unknown): string => escapedCell(value);

export const csvRow = (values: unknown[]): string => `${values.map(csvCell).join(',')}\r\n`;
