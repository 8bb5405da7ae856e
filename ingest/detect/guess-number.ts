/**
 * Decimal and thousands separators from the numbers in a sample. Unambiguous spellings decide:
 * `12,50` or `1.234,50` mean a decimal comma, `12.50` or `1,234.50` a decimal point. A lone `1,234`
 * or `1.234` could be either and counts for nothing.
 */
export interface NumberGuess {
  decimal: '.' | ',';
  /** Thousands separator seen in the sample, or '' for none. */
  thousands: '' | '.' | ',' | ' ';
  /** How many values decided it (0: nothing in the sample did; the default `.` was kept). */
  evidence: number;
}

const COMMA_DECIMAL = [/^[+-]?\d{1,3}(\.\d{3})+,\d+$/, /^[+-]?\d+,\d{1,2}$/, /^[+-]?\d+,\d{4,}$/, /^[+-]?\d{1,3}( \d{3})+,\d+$/];
const POINT_DECIMAL = [/^[+-]?\d{1,3}(,\d{3})+\.\d+$/, /^[+-]?\d+\.\d{1,2}$/, /^[+-]?\d+\.\d{4,}$/];
const DOT_GROUPS = /^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$/;
const COMMA_GROUPS = /^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/;
const SPACE_GROUPS = /^[+-]?\d{1,3}( \d{3})+([.,]\d+)?$/;

export function guessNumberFormat(values: Iterable<string>): NumberGuess {
  let comma = 0;
  let point = 0;
  let dotGroups = 0;
  let commaGroups = 0;
  let spaceGroups = 0;
  for (const raw of values) {
    const v = raw.trim();
    if (v === '' || !/^[+-]?\d[\d.,  ]*$/.test(v)) continue;
    if (COMMA_DECIMAL.some((r) => r.test(v))) comma++;
    else if (POINT_DECIMAL.some((r) => r.test(v))) point++;
    if (DOT_GROUPS.test(v) && (v.includes(',') || (v.match(/\./g) ?? []).length > 1)) dotGroups++;
    if (COMMA_GROUPS.test(v) && (v.includes('.') || (v.match(/,/g) ?? []).length > 1)) commaGroups++;
    if (SPACE_GROUPS.test(v)) spaceGroups++;
  }
  const decimal = comma > point ? ',' : '.';
  const thousands = decimal === ',' ? (dotGroups > 0 ? '.' : spaceGroups > 0 ? ' ' : '') : commaGroups > 0 ? ',' : '';
  return { decimal, thousands, evidence: Math.max(comma, point) };
}

/** A plain number in the given format (sign, digits, optional thousands groups and fraction). */
export function isNumberIn(value: string, fmt: Pick<NumberGuess, 'decimal' | 'thousands'>): boolean {
  const esc = (c: string): string => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const grouped = fmt.thousands ? `\\d{1,3}(${esc(fmt.thousands)}\\d{3})+|` : '';
  return new RegExp(`^[+-]?(${grouped}\\d+)(${esc(fmt.decimal)}\\d+)?$`).test(value.trim());
}
