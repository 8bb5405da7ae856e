/**
 * E-mail as a matching key: trimmed, `mailto:` and angle brackets removed, lower-cased (the local
 * part is case-insensitive at every provider that matters). Dots and `+tags` are kept: removing
 * them is only right for some providers and would merge different people elsewhere.
 * Returns '' when the value is not an address (then it never matches anything).
 */
export function normalizeEmail(raw: string): string {
  let v = raw.trim();
  const angle = /<([^<>]+)>/.exec(v);
  if (angle) v = angle[1].trim();
  v = v.replace(/^mailto:/i, '').toLowerCase();
  return /^[^\s@]+@[^\s@]+\.[^\s@.]+$/.test(v) ? v : '';
}
