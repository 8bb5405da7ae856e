/** "00", "01", … "99" as bytes: two digits per division when writing numbers. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}

/**
 * A growable byte buffer that rows are written into as TabSeparated text: the insert payload.
 * Escaping follows ClickHouse's TSV rules for the bytes that matter (backslash, tab, newline, CR).
 */
export class OutBuffer {
  buf: Buffer;
  pos = 0;

  constructor(size = 1 << 20) {
    this.buf = Buffer.allocUnsafe(size);
  }

  reserve(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n + 1024));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(c: number): void {
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = c;
  }

  /** Copies bytes, escaping what TSV requires. */
  escaped(src: Uint8Array, s: number, e: number): void {
    this.reserve((e - s) * 2);
    const out = this.buf;
    let o = this.pos;
    for (let i = s; i < e; i++) {
      const c = src[i];
      if (c === 92 || c === 9 || c === 10 || c === 13) {
        out[o++] = 92;
        out[o++] = c === 9 ? 116 : c === 10 ? 110 : c === 13 ? 114 : 92;
      } else {
        out[o++] = c;
      }
    }
    this.pos = o;
  }

  /** Copies bytes that need no escaping (digits, ids checked already, constants). */
  raw(src: Uint8Array, s: number, e: number): void {
    const n = e - s;
    this.reserve(n);
    const out = this.buf;
    let o = this.pos;
    if (n > 32) {
      out.set(src.subarray(s, e), o);
      o += n;
    } else for (let i = s; i < e; i++) out[o++] = src[i];
    this.pos = o;
  }

  /** ASCII text (numbers, dates, fixed words). */
  ascii(text: string): void {
    const n = text.length;
    this.reserve(n);
    const out = this.buf;
    let o = this.pos;
    for (let i = 0; i < n; i++) out[o++] = text.charCodeAt(i);
    this.pos = o;
  }

  /** Any JS string, UTF-8 encoded and TSV-escaped. */
  text(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    this.escaped(bytes, 0, bytes.length);
  }

  /** A non-negative integer below 2^53. */
  uint(v: number): void {
    if (!(v >= 0 && v <= Number.MAX_SAFE_INTEGER)) throw new RangeError(`OutBuffer.uint: ${v} is not an integer in [0, 2^53)`);
    if (v < 100_000_000) {
      this.#small(v);
      return;
    }
    // Split so each half is done in 32-bit integer arithmetic.
    const hi = Math.floor(v / 100_000_000);
    this.#small(hi);
    this.padded(v - hi * 100_000_000, 8);
  }

  /** v < 10^8, written two digits per division (a million rows write several of these each). */
  #small(v: number): void {
    const digits = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10_000 ? 4 : v < 100_000 ? 5 : v < 1_000_000 ? 6 : v < 10_000_000 ? 7 : 8;
    this.reserve(digits);
    const out = this.buf;
    let o = this.pos + digits;
    let t = v | 0;
    while (t >= 100) {
      const q = (t / 100) | 0;
      const r = (t - q * 100) << 1;
      out[--o] = PAIRS[r + 1];
      out[--o] = PAIRS[r];
      t = q;
    }
    if (t >= 10) {
      out[o - 1] = PAIRS[(t << 1) + 1];
      out[o - 2] = PAIRS[t << 1];
    } else out[o - 1] = 48 + t;
    this.pos += digits;
  }

  /** Zero-padded to `width` digits (dates, 10-digit unix times). */
  padded(v: number, width: number): void {
    this.reserve(width);
    const out = this.buf;
    let t = v;
    let o = this.pos + width - 1;
    // Digits beyond 32-bit range first (10-digit unix times exceed 2^31).
    while (t >= 2147483648 && o >= this.pos) {
      const q = Math.floor(t / 10);
      out[o--] = 48 + (t - q * 10);
      t = q;
    }
    let i = t | 0;
    const first = this.pos;
    for (; o > first; o -= 2) {
      const q = (i / 100) | 0;
      const r = (i - q * 100) << 1;
      out[o] = PAIRS[r + 1];
      out[o - 1] = PAIRS[r];
      i = q;
    }
    if (o === first) out[o] = 48 + i - ((i / 10) | 0) * 10;
    this.pos += width;
  }

  /** Hundredths as `[-]123.45`. */
  cents(v: number): void {
    // Past 2^53 the digit arithmetic below writes wrong digits and leaves reserved bytes unwritten
    // (stale memory of the reused buffer sent to the engine): callers write such values exactly.
    if (!Number.isSafeInteger(v)) throw new RangeError(`OutBuffer.cents: ${v} is not an integer below 2^53`);
    let a = v;
    if (a < 0) {
      this.byte(45);
      a = -a;
    }
    const whole = Math.floor(a / 100);
    this.uint(whole);
    this.byte(46);
    this.padded(a - whole * 100, 2);
  }

  /** `YYYY-MM-DD` from days since 1970-01-01. */
  date(days: number): void {
    const z = days + 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const m = mp < 10 ? mp + 3 : mp - 9;
    const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    this.padded(y, 4);
    this.byte(45);
    this.padded(m, 2);
    this.byte(45);
    this.padded(d, 2);
  }

  /** Unix seconds as exactly 10 digits: ClickHouse reads that as a timestamp whatever its time zone or date_time_input_format. */
  epoch(seconds: number): void {
    this.padded(seconds, 10);
  }

  /** TSV NULL. */
  nul(): void {
    this.byte(92);
    this.byte(78);
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
