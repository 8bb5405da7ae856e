/**
 * Phone numbers as E.164 matching keys (`+49301234567`). `+49 30 1234567`, `0049 30 1234567` and,
 * with default country DE, `030/1234567` all become the same key. A national number uses the
 * record's country (ISO alpha-2) or the default country: its trunk prefix (0 in most of Europe, 1 in
 * North America) is dropped and the calling code put in front. Returns '' for anything that does
 * not look like a phone number (fewer than 7 or more than 15 digits, more than MAX_PHONE_CHARS characters).
 */
interface Country {
  code: string;
  /** National trunk prefix dropped before the calling code; '' where numbers keep their leading 0 (Italy). */
  trunk: string;
}

const COUNTRIES: Record<string, Country> = {
  DE: { code: '49', trunk: '0' }, AT: { code: '43', trunk: '0' }, CH: { code: '41', trunk: '0' },
  FR: { code: '33', trunk: '0' }, BE: { code: '32', trunk: '0' }, NL: { code: '31', trunk: '0' },
  LU: { code: '352', trunk: '' }, GB: { code: '44', trunk: '0' }, UK: { code: '44', trunk: '0' },
  IE: { code: '353', trunk: '0' }, ES: { code: '34', trunk: '' }, PT: { code: '351', trunk: '' },
  IT: { code: '39', trunk: '' }, DK: { code: '45', trunk: '' }, NO: { code: '47', trunk: '' },
  SE: { code: '46', trunk: '0' }, FI: { code: '358', trunk: '0' }, PL: { code: '48', trunk: '' },
  CZ: { code: '420', trunk: '' }, SK: { code: '421', trunk: '0' }, HU: { code: '36', trunk: '06' },
  GR: { code: '30', trunk: '' }, RO: { code: '40', trunk: '0' }, BG: { code: '359', trunk: '0' },
  HR: { code: '385', trunk: '0' }, SI: { code: '386', trunk: '0' }, EE: { code: '372', trunk: '' },
  LV: { code: '371', trunk: '' }, LT: { code: '370', trunk: '8' }, TR: { code: '90', trunk: '0' },
  US: { code: '1', trunk: '1' }, CA: { code: '1', trunk: '1' }, MX: { code: '52', trunk: '' },
  BR: { code: '55', trunk: '0' }, AR: { code: '54', trunk: '0' }, AU: { code: '61', trunk: '0' },
  NZ: { code: '64', trunk: '0' }, JP: { code: '81', trunk: '0' }, CN: { code: '86', trunk: '0' },
  IN: { code: '91', trunk: '0' }, SG: { code: '65', trunk: '' }, ZA: { code: '27', trunk: '0' },
  IL: { code: '972', trunk: '0' }, AE: { code: '971', trunk: '0' },
};

export function isKnownCountry(iso: string): boolean {
  return COUNTRIES[iso.toUpperCase()] !== undefined;
}

/**
 * Longer than any phone number, however written ("+49 (0)30 1234 5678 ext. 1234" is 30). Checked
 * before the patterns below: their leading `\s*` is tried at every position, so a value of spaces
 * cost quadratic time — 2.4 CPU-s for 40 KB, hours for a 10 MB ingest body's one field, the whole
 * process frozen meanwhile (fourth security review).
 */
export const MAX_PHONE_CHARS = 100;

export function normalizePhone(raw: string, country: string): string {
  const v = raw.trim();
  if (!v || v.length > MAX_PHONE_CHARS) return '';
  // Extensions ("ext. 12", "x12", "#12") are not part of the number.
  // "+49 (0)30 …" writes the trunk 0 in brackets for callers inside the country; it is not dialled
  // after the country code.
  const main = v.replace(/\s*(?:ext\.?|x|#)\s*\d+$/i, '').replace(/^(\s*(?:\+|00)\s*\d{1,3}[\s-]*)\(\s*0\s*\)/, '$1');
  const plus = /^\s*\+/.test(main);
  let digits = main.replace(/\D+/g, '');
  if (!digits) return '';
  let e164: string;
  if (plus) e164 = digits;
  else if (digits.startsWith('00')) e164 = digits.slice(2);
  else {
    const c = COUNTRIES[country.toUpperCase()] ?? COUNTRIES.DE;
    if (c.code === '1') {
      if (digits.startsWith('011')) e164 = digits.slice(3);
      else if (digits.length === 11 && digits.startsWith('1')) e164 = digits;
      else e164 = `1${digits}`;
    } else {
      if (c.trunk && digits.startsWith(c.trunk)) digits = digits.slice(c.trunk.length);
      e164 = c.code + digits;
    }
  }
  if (e164.length < 7 || e164.length > 15 || e164.startsWith('0')) return '';
  return `+${e164}`;
}
