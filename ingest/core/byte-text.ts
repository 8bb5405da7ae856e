interface FastSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/** Text of a byte range; ASCII rows skip UTF-8 decoding (Buffer's own slice methods, no argument checks). */
export function byteText(b: Buffer, s: number, e: number, high: boolean): string {
  const f = b as unknown as FastSlices;
  return high ? f.utf8Slice(s, e) : f.latin1Slice(s, e);
}
