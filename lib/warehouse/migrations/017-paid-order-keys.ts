import { checkName } from '../sql.ts';
import type { RenderContext } from './ddl.ts';

/**
 * paid_orders.order_key (issue 17, item 4): cityHash64(source, order_id), stored with each row.
 *
 * An incremental refresh finds the customers whose orders were touched by the lines written since
 * the last refresh by looking those orders up in the committed paid_orders (a line moved to another
 * customer leaves no stamp under its old one: semantic/derived/changes.ts). That lookup hashed both
 * strings of all 5M orders at 10M transactions on every refresh (0.65–0.8 CPU-s, the largest part of
 * the change detection); read as a stored UInt64 it is one narrow column.
 *
 * MATERIALIZED: computed by every insert (the derived builders insert without a column list, and
 * `SELECT *` — the *_current views, Cube's models — does not show it), so nothing that writes or
 * reads paid_orders changes. MATERIALIZE COLUMN writes it for the partitions already there (a
 * background mutation of one column; parts without it compute it on read until then).
 */
const COLUMN = "order_key UInt64 MATERIALIZED cityHash64(source, order_id) COMMENT 'the order''s key as the refresh''s change detection looks it up'";

export function paidOrderKeyStatements(ctx: RenderContext): string[] {
  const db = checkName(ctx.database);
  const on = ctx.cluster ? ` ON CLUSTER ${checkName(ctx.cluster)}` : '';
  const add = `ADD COLUMN IF NOT EXISTS ${COLUMN}`;
  return ctx.cluster
    ? [
        `ALTER TABLE ${db}.paid_orders_local${on} ${add}`,
        `ALTER TABLE ${db}.paid_orders${on} ${add}`,
        `ALTER TABLE ${db}.paid_orders_local${on} MATERIALIZE COLUMN order_key`,
      ]
    : [`ALTER TABLE ${db}.paid_orders ${add}`, `ALTER TABLE ${db}.paid_orders MATERIALIZE COLUMN order_key`];
}
