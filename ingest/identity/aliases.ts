import type { WarehouseIO } from '../core/warehouse-io.ts';

/**
 * customer_aliases: from_id → to_id for merged customers. Always one hop to the survivor (a later
 * merge re-points older aliases, see resolve.ts); rootOf still follows chains defensively.
 */
export async function loadAliases(io: WarehouseIO): Promise<Map<string, string>> {
  const rows = await io.rows<{ from_id: string; to_id: string }>(
    `SELECT from_id, argMax(to_id, version) AS to_id FROM ${io.table('customer_aliases')} GROUP BY from_id`,
  );
  return new Map(rows.filter((r) => r.to_id !== '' && r.to_id !== r.from_id).map((r) => [r.from_id, r.to_id]));
}

export function rootOf(aliases: ReadonlyMap<string, string>, id: string): string {
  let cur = id;
  for (let i = 0; i < 64; i++) {
    const next = aliases.get(cur);
    if (next === undefined || next === cur) return cur;
    cur = next;
  }
  return cur;
}
