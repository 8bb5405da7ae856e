import { quoteValue } from '../core/reasons.ts';

/** Index of the first control character (below 0x20) in b[s, e), or -1: ids end up in keys and TSV. */
export function firstControlChar(b: Uint8Array, s: number, e: number): number {
  for (let i = s; i < e; i++) if (b[i] < 32) return i;
  return -1;
}

export function idProblem(value: string): string {
  return `${quoteValue(value)} contains control characters`;
}
