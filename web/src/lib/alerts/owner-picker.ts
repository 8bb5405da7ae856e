import type { CubeQuery, Row } from '../cube/types.ts';

/**
 * The administrator's owner picker on the alerts page (issue 15: an admin had to type an owner id).
 * Owners come from the semantic layer, as the filter bar's do: the owners that have customers,
 * which are the ones churn alerts can be about. Only loaded for administrators: an owner's page
 * must not name other owners.
 */
export const OWNER_PICKER_QUERY = {
  dimensions: ['customer_base.owner_id', 'customer_base.owner_name'],
  measures: ['customer_base.customers'],
  filters: [{ member: 'customer_base.owner_id', operator: 'set' }],
  order: [['customer_base.owner_name', 'asc']],
  limit: 1000,
} satisfies CubeQuery;

export interface OwnerChoice {
  id: string;
  /** The name; "name (id)" when two owners share it; the id when there is no name. */
  label: string;
}

/**
 * One choice per owner id, sorted by label. `current` (the ?owner= in the URL) is kept as a choice
 * even when the semantic layer does not list it, so the picker never shows someone else's name
 * for the inbox on screen.
 */
export function ownerChoices(rows: Row[], current = ''): OwnerChoice[] {
  const names = new Map<string, string>();
  for (const r of rows) {
    const id = r['customer_base.owner_id'];
    if (id === null || id === undefined || String(id).trim() === '') continue;
    const name = r['customer_base.owner_name'];
    if (!names.has(String(id))) names.set(String(id), name === null || name === undefined ? '' : String(name).trim());
  }
  if (current && !names.has(current)) names.set(current, '');
  const count = new Map<string, number>();
  for (const name of names.values()) if (name) count.set(name, (count.get(name) ?? 0) + 1);
  return [...names]
    .map(([id, name]) => ({ id, label: !name ? id : (count.get(name) ?? 0) > 1 ? `${name} (${id})` : name }))
    .sort((a, b) => a.label.localeCompare(b.label, 'en') || a.id.localeCompare(b.id, 'en'));
}
