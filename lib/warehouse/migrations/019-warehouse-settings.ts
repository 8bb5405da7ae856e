import type { TableDef } from './ddl.ts';

/**
 * Facts about the warehouse's contents that every process must agree on, one row per key. The
 * first is `reporting_currency` (lib/warehouse/reporting-currency.ts): the amounts are stored in one
 * currency, and without a record of it the dashboard labelled a USD load "€" unless the user kept
 * CRM_BASE_CURRENCY in step with what they had loaded.
 */
export const warehouseSettings: TableDef = {
  name: 'warehouse_settings',
  columns: [
    "key LowCardinality(String) COMMENT 'the setting''s name, e.g. reporting_currency'",
    "value String COMMENT 'its value'",
    "set_at DateTime64(3, 'UTC') COMMENT 'when it was written; the newest row of a key wins'",
  ],
  engine: 'ReplacingMergeTree(set_at)',
  orderBy: 'key',
  shardingKey: 'cityHash64(key)',
  why: 'A handful of rows, one per key: ReplacingMergeTree keeps the newest; readers take argMax(value, set_at) so an unmerged duplicate never shows.',
};

export const warehouseSettingsTables: TableDef[] = [warehouseSettings];
