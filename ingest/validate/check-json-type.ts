import type { FieldType } from '../entities/types.ts';

/**
 * What a JSON value (NDJSON line, HTTP record, Parquet row) may not be for a field of `type`, or
 * undefined when it can be read as one. Objects and arrays are accepted only where the field is
 * structured (external ids, stage history): written into a text field they would be stored as
 * their JSON text, which no source meant. Booleans are not numbers or dates.
 */
export function jsonTypeProblem(value: unknown, type: FieldType): string | undefined {
  if (value === null || value === undefined || typeof value !== 'object') {
    if (typeof value === 'boolean' && (type === 'int' || type === 'decimal' || type === 'quantity' || type === 'date' || type === 'datetime')) {
      return `is a JSON boolean (${String(value)}), expected ${expected(type)}`;
    }
    return undefined;
  }
  if (value instanceof Date || ArrayBuffer.isView(value)) return undefined;
  const kind = Array.isArray(value) ? 'array' : 'object';
  if ((type === 'external_ids' && kind === 'object') || (type === 'stage_history' && kind === 'array')) return undefined;
  const json = JSON.stringify(value, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? '';
  return `is a JSON ${kind} (${json.length > 60 ? `${json.slice(0, 57)}...` : json}), expected ${expected(type)}`;
}

function expected(type: FieldType): string {
  switch (type) {
    case 'int':
    case 'decimal':
    case 'quantity':
      return 'a number';
    case 'date':
    case 'datetime':
      return 'a date';
    case 'external_ids':
      return 'an object or system:id text';
    case 'stage_history':
      return 'an array';
    default:
      return 'text';
  }
}
