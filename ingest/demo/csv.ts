/**
 * RFC 4180 output: comma-separated, CRLF-free (LF line ends, which every CSV reader accepts), a field
 * is quoted when it holds a comma, a double quote, a line break or leading/trailing white space
 * (some readers trim unquoted space; the e-mail variants "  a@b.example" must survive).
 */
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Stands in for raw bytes inside a line until the sink writes it (the invalid-UTF-8 dirty rows): the
 * token passes CSV quoting and JSON.stringify unchanged, and the sink swaps it for the bytes.
 */
export const RAW_TOKEN = '\u00a7RAW\u00a7';

/** Cents → "1234.56" (amounts are kept in integer cents so no float ever reaches a file). */
export function money(cents: number): string {
  const neg = cents < 0;
  const c = Math.abs(cents);
  const units = Math.floor(c / 100);
  const rest = c - units * 100;
  return `${neg ? '-' : ''}${units}.${rest < 10 ? '0' : ''}${rest}`;
}
