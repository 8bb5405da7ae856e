import { randomBytes } from 'node:crypto';
import { SCRATCH_TABLE_PREFIXES } from '../../lib/warehouse/scratch-tables.ts';
import type { WarehouseIO } from '../core/warehouse-io.ts';
import { OutBuffer } from '../load/out-buffer.ts';
import { blankGolden } from './golden.ts';

/** A fact table and the column that says when its customer was seen. */
export interface FactTime {
  table: string;
  column: string;
  /** `date` columns are days already; `datetime` ones are cut to the UTC day. */
  type: 'date' | 'datetime';
}

/**
 * Customers from facts alone. A fact whose customer_ref has no customer record loads under the id
 * that record would get (an `unmatched` identity_map stub); without a golden `customers` row such a
 * customer would be missing from every customer view (customer_base, RFM, LTV all start there).
 * This writes one golden row per such customer: first seen (signup_date) = the earliest of its
 * facts, sources = the reference's system, no source records. A customers file loaded later for
 * the same source id claims the same id, and its golden row replaces this one.
 *
 * Idempotent: only customers without a golden row, or placeholders whose first seen moved earlier,
 * are written. Returns how many customers were created (updates not counted).
 */
/** References to check: a source's listed refs, or (refs undefined) all of its references. */
export interface RefScope {
  source: string;
  refs?: readonly string[];
}

export async function createPlaceholderCustomers(io: WarehouseIO, scope: readonly RefScope[], facts: readonly FactTime[], runVersion: number): Promise<number> {
  let created = 0;
  await dropLeftovers(io);
  for (const { source, refs } of scope) created += await createFor(io, source, refs, facts, runVersion);
  return created;
}

async function createFor(io: WarehouseIO, source: string, refs: readonly string[] | undefined, facts: readonly FactTime[], runVersion: number): Promise<number> {
  if (facts.length === 0 || refs?.length === 0) return 0;
  // Two per-call Memory tables: `stubs` is computed once (as a CTE the engine recomputed it at each
  // of its five uses, 4-5× the CPU), and the golden rows never leave the engine (sent back and
  // re-inserted as JSON objects they cost as much as the query). Plain tables in the load's
  // database, not TEMPORARY ones: those need an HTTP session, which the shared client has not.
  const base = `${SCRATCH_PREFIX}${runVersion}_${randomBytes(4).toString('hex')}`;
  const stubs = io.table(`${base}_s`);
  const found = io.table(`${base}_r`);
  const listed = io.table(`${base}_k`);
  try {
    await io.command(`CREATE TABLE ${stubs} (customer_id String, source String) ENGINE = Memory`);
    await io.command(`CREATE TABLE ${found} (customer_id String, source String, first_seen Date, present UInt8) ENGINE = Memory`);
    if (refs) {
      // The listed refs go into a third Memory table as one TabSeparated payload: as a bound
      // Array(String) (two 50k chunks at 1M rows of bench:ingest) the URL-encoded list cost the
      // client, the endpoint and the engine's literal parser ≈ 1 CPU-s per 100k refs, the whole
      // step ≈ 2 (measured, three runs on 100k refs, load 30).
      await io.command(`CREATE TABLE ${listed} (source_id String) ENGINE = Memory`);
      const out = new OutBuffer(1 << 16);
      for (const ref of refs) {
        out.text(ref);
        out.byte(10);
      }
      await io.insertTsv(`${base}_k`, ['source_id'], out.bytes());
    }
    await io.command(
      `INSERT INTO ${stubs} (customer_id, source)
       SELECT customer_id, min(source) AS source
       FROM (SELECT source, source_id, argMax(customer_id, version) AS customer_id, argMax(rule, version) AS rule
             FROM ${io.table('identity_map')}
             WHERE source = {source:String} ${refs ? `AND source_id GLOBAL IN (SELECT source_id FROM ${listed})` : ''} GROUP BY source, source_id)
       WHERE rule = 'unmatched'
         AND customer_id NOT IN (SELECT from_id FROM (SELECT from_id, argMax(to_id, version) AS to_id FROM ${io.table('customer_aliases')} GROUP BY from_id)
                                 WHERE to_id != '' AND to_id != from_id)
       GROUP BY customer_id`,
      { source },
    );
    // GLOBAL: on a cluster the fact and customers tables are read on every shard, the stubs live on
    // the node the client talks to; on one server it is a plain IN.
    const day = (f: FactTime): string => (f.type === 'date' ? `toDate(${f.column})` : `toDate(${f.column}, 'UTC')`);
    const firstSeen = facts
      .map((f) => `SELECT customer_id, ${day(f)} AS d FROM ${io.table(f.table)} WHERE customer_id GLOBAL IN (SELECT customer_id FROM ${stubs})`)
      .join(' UNION ALL ');
    await io.command(
      `INSERT INTO ${found} (customer_id, source, first_seen, present)
       SELECT s.customer_id, s.source, f.first_seen, g.present
       FROM (SELECT customer_id, min(source) AS source FROM ${stubs} GROUP BY customer_id) AS s
       INNER JOIN (SELECT customer_id, min(d) AS first_seen FROM (${firstSeen}) GROUP BY customer_id) AS f ON f.customer_id = s.customer_id
       LEFT JOIN (SELECT customer_id, 1 AS present, source_records, signup_date FROM ${io.table('customers')} FINAL
                  WHERE customer_id GLOBAL IN (SELECT customer_id FROM ${stubs})) AS g ON g.customer_id = s.customer_id
       WHERE g.present = 0 OR (g.source_records = 0 AND (g.signup_date IS NULL OR g.signup_date != f.first_seen))
       SETTINGS join_use_nulls = 0`,
    );
    const [{ created }] = await io.rows<{ created: string }>(`SELECT countIf(present = 0) AS created FROM ${found}`);
    await io.command(
      `INSERT INTO ${io.table('customers')} (${GOLDEN_COLUMNS.join(', ')}, version)
       SELECT ${GOLDEN_VALUES.join(', ')}, {version:UInt64} FROM ${found}`,
      { version: runVersion },
    );
    return Number(created);
  } finally {
    await io.command(`DROP TABLE IF EXISTS ${stubs}`);
    await io.command(`DROP TABLE IF EXISTS ${found}`);
    await io.command(`DROP TABLE IF EXISTS ${listed}`);
  }
}

const SCRATCH_PREFIX = SCRATCH_TABLE_PREFIXES.placeholders;

/** Scratch tables of a step killed mid-way (a normal or failed run drops its own): after a day. */
async function dropLeftovers(io: WarehouseIO): Promise<void> {
  const old = await io.rows<{ name: string }>(
    `SELECT name FROM system.tables
     WHERE database = ${io.database ? '{db:String}' : 'currentDatabase()'} AND startsWith(name, {prefix:String})
       AND metadata_modification_time < now() - INTERVAL 1 DAY`,
    { db: io.database, prefix: SCRATCH_PREFIX },
  );
  for (const { name } of old) await io.command(`DROP TABLE IF EXISTS ${io.table(name)}`);
}

/**
 * The golden row of a customer known from facts alone: blankGolden() with first seen and source
 * filled in, as column names and the expressions over the found rows that give them.
 */
const GOLDEN_COLUMNS = Object.keys(blankGolden(''));
const GOLDEN_VALUES = Object.entries(blankGolden('')).map(([column, blank]) => {
  if (column === 'customer_id') return 'customer_id';
  if (column === 'signup_date') return 'first_seen';
  if (column === 'sources') return '[source]';
  if (blank === '') return "''";
  if (blank === 0) return '0';
  throw new Error(`placeholders: no value for golden column ${column} (blank ${JSON.stringify(blank)})`);
});
