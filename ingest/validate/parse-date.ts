/**
 * Date and time parsing straight from bytes (no string per value on the CSV fast path).
 * A parser fills `DateParts`; `toEpochSeconds`/`toDays` turn them into what ClickHouse stores.
 */
export interface DateParts {
  y: number;
  m: number;
  d: number;
  hh: number;
  mi: number;
  ss: number;
  /** Offset east of UTC in minutes; 0 for naive times (taken as UTC). */
  offsetMin: number;
  /** Set when the value was an epoch number: the parts above are not used. */
  epochSeconds: number;
}

export type DateParser = (b: Uint8Array, s: number, e: number, out: DateParts) => boolean;

export function newDateParts(): DateParts {
  return { y: 0, m: 0, d: 0, hh: 0, mi: 0, ss: 0, offsetMin: 0, epochSeconds: Number.NaN };
}

const D0 = 48;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function twoDigits(b: Uint8Array, i: number): number {
  const a = b[i] - D0;
  const c = b[i + 1] - D0;
  if (a < 0 || a > 9 || c < 0 || c > 9) return -1;
  return a * 10 + c;
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

function validParts(p: DateParts): boolean {
  return (
    p.y >= 1 && p.m >= 1 && p.m <= 12 && p.d >= 1 && p.d <= daysInMonth(p.y, p.m) &&
    p.hh >= 0 && p.hh <= 23 && p.mi >= 0 && p.mi <= 59 && p.ss >= 0 && p.ss <= 60
  );
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function toEpochSeconds(p: DateParts): number {
  if (!Number.isNaN(p.epochSeconds)) return p.epochSeconds;
  return daysFromCivil(p.y, p.m, p.d) * 86400 + p.hh * 3600 + p.mi * 60 + Math.min(p.ss, 59) - p.offsetMin * 60;
}

/** The calendar date as written (a time zone does not move it), in days since 1970-01-01. */
export function toDays(p: DateParts): number {
  if (!Number.isNaN(p.epochSeconds)) return Math.floor(p.epochSeconds / 86400);
  return daysFromCivil(p.y, p.m, p.d);
}

function reset(p: DateParts): void {
  p.y = 0;
  p.m = 0;
  p.d = 0;
  p.hh = 0;
  p.mi = 0;
  p.ss = 0;
  p.offsetMin = 0;
  p.epochSeconds = Number.NaN;
}

/** Parses `Z`, `+HH:MM`, `+HHMM` or `+HH` at b[i..e); returns false when anything else is there. */
function parseOffset(b: Uint8Array, i: number, e: number, p: DateParts): boolean {
  if (i === e) return true;
  const c = b[i];
  if ((c === 90 || c === 122) && i + 1 === e) return true; // Z
  if (c !== 43 && c !== 45) return false;
  const sign = c === 45 ? -1 : 1;
  const h = twoDigits(b, i + 1);
  if (h < 0 || i + 3 > e) return false;
  let mins = 0;
  let j = i + 3;
  if (j < e && b[j] === 58) j++;
  if (j < e) {
    mins = twoDigits(b, j);
    if (mins < 0 || j + 2 !== e) return false;
  }
  if (h > 14 || mins > 59) return false;
  p.offsetMin = sign * (h * 60 + mins);
  return true;
}

/**
 * ISO 8601 and its common SQL spelling: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.fff]]`,
 * `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`. Fractions of a second are dropped.
 */
export const parseIso: DateParser = (b, s, e, p) => {
  reset(p);
  if (e - s < 10 || b[s + 4] !== 45 || b[s + 7] !== 45) return false;
  const y1 = twoDigits(b, s);
  const y2 = twoDigits(b, s + 2);
  p.m = twoDigits(b, s + 5);
  p.d = twoDigits(b, s + 8);
  if (y1 < 0 || y2 < 0 || p.m < 0 || p.d < 0) return false;
  p.y = y1 * 100 + y2;
  let i = s + 10;
  if (i < e) {
    const sep = b[i];
    if (sep !== 84 && sep !== 32 && sep !== 116) return false; // T, space, t
    if (e - i < 6 || b[i + 3] !== 58) return false;
    p.hh = twoDigits(b, i + 1);
    p.mi = twoDigits(b, i + 4);
    if (p.hh < 0 || p.mi < 0) return false;
    i += 6;
    if (i < e && b[i] === 58) {
      p.ss = twoDigits(b, i + 1);
      if (p.ss < 0) return false;
      i += 3;
      if (i < e && (b[i] === 46 || b[i] === 44)) {
        i++;
        const f = i;
        while (i < e && isDigit(b[i])) i++;
        if (i === f) return false;
      }
    }
    if (!parseOffset(b, i, e, p)) return false;
  }
  return validParts(p);
};

/** Unix time in seconds (fractions allowed) or milliseconds. */
export function epochParser(unit: 's' | 'ms'): DateParser {
  return (b, s, e, p) => {
    reset(p);
    let i = s;
    let neg = false;
    if (i < e && b[i] === 45) {
      neg = true;
      i++;
    }
    let v = 0;
    const start = i;
    while (i < e && isDigit(b[i])) v = v * 10 + (b[i++] - D0);
    if (i === start || i - start > 16) return false;
    if (i < e && b[i] === 46) {
      i++;
      while (i < e && isDigit(b[i])) i++;
    }
    if (i !== e) return false;
    const secs = unit === 'ms' ? Math.floor(v / 1000) : v;
    p.epochSeconds = neg ? -secs : secs;
    return true;
  };
}

/** Excel's day 0 in its 1900 date system, as Unix seconds: serial 45292 is 2024-01-01. */
const EXCEL_EPOCH = Date.UTC(1899, 11, 30) / 1000;

/**
 * An Excel serial date as a CSV saved from a spreadsheet writes it: whole days since 1899-12-30 (so
 * 45292 is 2024-01-01; serials from 61 on, i.e. 1900-03-01, are right despite Excel's phantom
 * 1900-02-29) and the time of day as the fraction (45292.75 is 18:00), to the second.
 */
export const excelSerialParser: DateParser = (b, s, e, p) => {
  reset(p);
  let i = s;
  let days = 0;
  while (i < e && isDigit(b[i])) days = days * 10 + (b[i++] - D0);
  if (i === s || i - s > 7 || days < 61 || days > 2_958_465) return false;
  let frac = 0;
  if (i < e && b[i] === 46) {
    i++;
    let scale = 1;
    for (; i < e && isDigit(b[i]); i++) if (scale < 1e12) frac += (b[i] - D0) / (scale *= 10);
  }
  if (i !== e) return false;
  p.epochSeconds = EXCEL_EPOCH + days * 86_400 + Math.round(frac * 86_400);
  return true;
};

type Token =
  | { kind: 'num'; part: 'y' | 'm' | 'd' | 'hh' | 'mi' | 'ss'; min: number; max: number }
  | { kind: 'yy' }
  | { kind: 'frac' }
  | { kind: 'offset' }
  | { kind: 'lit'; byte: number }
  | { kind: 'ampm' };

const TOKENS: [string, Token][] = [
  ['YYYY', { kind: 'num', part: 'y', min: 4, max: 4 }],
  ['YY', { kind: 'yy' }],
  ['MM', { kind: 'num', part: 'm', min: 2, max: 2 }],
  ['M', { kind: 'num', part: 'm', min: 1, max: 2 }],
  ['DD', { kind: 'num', part: 'd', min: 2, max: 2 }],
  ['D', { kind: 'num', part: 'd', min: 1, max: 2 }],
  ['HH', { kind: 'num', part: 'hh', min: 2, max: 2 }],
  ['H', { kind: 'num', part: 'hh', min: 1, max: 2 }],
  ['hh', { kind: 'num', part: 'hh', min: 2, max: 2 }],
  ['h', { kind: 'num', part: 'hh', min: 1, max: 2 }],
  ['mm', { kind: 'num', part: 'mi', min: 2, max: 2 }],
  ['ss', { kind: 'num', part: 'ss', min: 2, max: 2 }],
  ['SSS', { kind: 'frac' }],
  ['Z', { kind: 'offset' }],
  ['A', { kind: 'ampm' }],
];

export class DateFormatError extends Error {}

/**
 * Compiles a format such as `DD.MM.YYYY`, `MM/DD/YYYY HH:mm`, `D.M.YY`, `YYYYMMDD`; also `ISO`,
 * `epoch` (seconds), `epoch_ms` and `excel` (serial days, see excelSerialParser). A date-only format
 * given for a date-time field means midnight.
 */
export function compileDateFormat(format: string): DateParser {
  const f = format.trim();
  if (/^iso(8601)?$/i.test(f)) return parseIso;
  if (/^(epoch|unix|epoch_s)$/i.test(f)) return epochParser('s');
  if (/^(epoch_ms|unix_ms)$/i.test(f)) return epochParser('ms');
  if (/^excel$/i.test(f)) return excelSerialParser;
  const tokens: Token[] = [];
  let i = 0;
  let hasY = false;
  let hasM = false;
  let hasD = false;
  outer: while (i < f.length) {
    for (const [name, tok] of TOKENS) {
      if (f.startsWith(name, i)) {
        tokens.push(tok);
        if (tok.kind === 'yy' || (tok.kind === 'num' && tok.part === 'y')) hasY = true;
        if (tok.kind === 'num' && tok.part === 'm') hasM = true;
        if (tok.kind === 'num' && tok.part === 'd') hasD = true;
        i += name.length;
        continue outer;
      }
    }
    const code = f.charCodeAt(i);
    if (code > 127) throw new DateFormatError(`date format "${format}": only ASCII literals are supported`);
    tokens.push({ kind: 'lit', byte: code });
    i++;
  }
  if (!hasY || !hasM || !hasD) throw new DateFormatError(`date format "${format}" needs a year (YYYY or YY), month (MM or M) and day (DD or D)`);
  // A two-digit field followed by a separator also takes one digit (1.2.2024 for DD.MM.YYYY).
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t];
    const next = tokens[t + 1];
    if (tok.kind === 'num' && tok.part !== 'y' && (next === undefined || next.kind === 'lit')) tokens[t] = { ...tok, min: 1 };
  }
  // A date-time format also accepts the date alone (midnight): "MM/DD/YYYY HH:mm" reads 12/31/2023.
  const firstTime = tokens.findIndex((t) => t.kind === 'num' && (t.part === 'hh' || t.part === 'mi' || t.part === 'ss'));
  const dateOnly = firstTime > 0 ? tokens.slice(0, tokens[firstTime - 1].kind === 'lit' ? firstTime - 1 : firstTime) : undefined;
  const full = tokenParser(tokens);
  if (!dateOnly) return full;
  const short = tokenParser(dateOnly);
  return (b, s, e, p) => full(b, s, e, p) || short(b, s, e, p);
}

function tokenParser(tokens: Token[]): DateParser {
  return (b, s, e, p) => {
    reset(p);
    let pos = s;
    let pm = -1;
    for (let t = 0; t < tokens.length; t++) {
      const tok = tokens[t];
      switch (tok.kind) {
        case 'lit':
          if (pos >= e || b[pos] !== tok.byte) return false;
          pos++;
          break;
        case 'num': {
          let v = 0;
          let n = 0;
          while (n < tok.max && pos < e && isDigit(b[pos])) {
            v = v * 10 + (b[pos++] - D0);
            n++;
          }
          if (n < tok.min) return false;
          p[tok.part] = v;
          break;
        }
        case 'yy': {
          const v = twoDigits(b, pos);
          if (v < 0 || pos + 2 > e) return false;
          p.y = v < 70 ? 2000 + v : 1900 + v;
          pos += 2;
          break;
        }
        case 'frac': {
          const f0 = pos;
          while (pos < e && isDigit(b[pos])) pos++;
          if (pos === f0) return false;
          break;
        }
        case 'offset': {
          let j = pos;
          while (j < e && b[j] !== 32) j++;
          if (!parseOffset(b, pos, j, p)) return false;
          pos = j;
          break;
        }
        case 'ampm': {
          if (pos + 2 > e) return false;
          const c = b[pos] | 0x20;
          if ((c !== 97 && c !== 112) || (b[pos + 1] | 0x20) !== 109) return false;
          pm = c === 112 ? 1 : 0;
          pos += 2;
          break;
        }
      }
    }
    if (pos !== e) return false;
    if (pm >= 0) {
      if (p.hh < 1 || p.hh > 12) return false;
      p.hh = (p.hh % 12) + (pm === 1 ? 12 : 0);
    }
    return validParts(p);
  };
}

/** Dates ClickHouse can store: Date 1970-01-01..2149-06-06, DateTime 1970-01-01..2106-02-07. */
export const MAX_DATE_DAYS = 65535;
export const MAX_DATETIME_SECONDS = 4294967295;
