/** Reject reasons a person understands: `line 17, field order_date: "2024-13-45" is not a date (expected YYYY-MM-DD)`. */
export function quoteValue(v: string): string {
  const shown = v.length > 60 ? `${v.slice(0, 57)}...` : v;
  return JSON.stringify(shown);
}

export function reasonText(line: number, field: string, detail: string): string {
  return field ? `line ${line}, field ${field}: ${detail}` : `line ${line}: ${detail}`;
}

/** Shows bytes that are not valid UTF-8 as \xNN so a reject can be stored and read without mangling. */
export function showBytes(b: Uint8Array, s: number, e: number): string {
  const slice = Buffer.from(b.buffer, b.byteOffset + s, e - s);
  const text = slice.toString('utf8');
  if (!text.includes('\uFFFD')) return text;
  let out = '';
  let i = 0;
  while (i < slice.length) {
    const c = slice[i];
    const len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    const part = len > 0 && i + len <= slice.length ? slice.subarray(i, i + len) : undefined;
    const decoded = part?.toString('utf8');
    if (part && decoded && !decoded.includes('\uFFFD')) {
      out += decoded;
      i += len;
    } else {
      out += `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}

/** The first invalid byte of a UTF-8 range, or -1. */
export function firstInvalidUtf8(b: Uint8Array, s: number, e: number): number {
  let i = s;
  while (i < e) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    if (i + need >= e) return i;
    let cp = c & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const x = b[i + k];
      if ((x & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}
