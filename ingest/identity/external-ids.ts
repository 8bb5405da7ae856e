/**
 * External ids: `{"shop":"1001","crm":"A-7"}` or `shop:1001;crm:A-7`. Keys are lower-cased (they
 * name systems), values are kept as given (ids can be case-sensitive). Throws with a readable
 * message when the text is neither form.
 */
export function parseExternalIds(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const t = text.trim();
  if (!t) return out;
  if (t.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(t);
    } catch {
      throw new Error('is not a JSON object');
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('is not a JSON object');
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
      if (v === null || v === undefined || v === '') continue;
      if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`has a non-text value for "${k}"`);
      add(out, k, String(v));
    }
    return out;
  }
  for (const part of t.split(/[;|]/)) {
    if (!part.trim()) continue;
    const i = part.indexOf(':');
    if (i <= 0 || i === part.length - 1) throw new Error(`"${part.trim()}" is not system:id (expected {"system":"id"} or system:id;system:id)`);
    add(out, part.slice(0, i), part.slice(i + 1));
  }
  return out;
}

function add(out: Map<string, string>, key: string, value: string): void {
  const k = key.trim().toLowerCase();
  const v = value.trim();
  if (!k || !v) return;
  out.set(k, v);
}

/** The matching keys of a record: its own (source, source_id) plus every external id. */
export function externalKeys(source: string, sourceId: string, ids: ReadonlyMap<string, string>): string[] {
  const keys = [`${source.toLowerCase()}:${sourceId}`];
  for (const [k, v] of ids) keys.push(`${k}:${v}`);
  return [...new Set(keys)].sort();
}
