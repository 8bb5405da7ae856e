import { quoteValue } from '../core/reasons.ts';

/**
 * Which of the allowed values (canonical lower-case bytes) b[s, e) spells, ignoring ASCII case; -1
 * for none. Compares bytes so that the hot path makes no string per row.
 */
export function matchEnum(allowed: readonly Uint8Array[], b: Uint8Array, s: number, e: number): number {
  const n = e - s;
  for (let k = 0; k < allowed.length; k++) {
    const a = allowed[k];
    if (a.length !== n) continue;
    let same = true;
    for (let i = 0; i < n; i++) {
      let c = b[s + i];
      if (c >= 65 && c <= 90) c |= 0x20;
      if (c !== a[i]) {
        same = false;
        break;
      }
    }
    if (same) return k;
  }
  return -1;
}

export function enumProblem(value: string, values: readonly string[]): string {
  return `${quoteValue(value)} is not one of: ${values.join(', ')}`;
}
