import type { ClickHouseClient } from '@clickhouse/client';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeAudit } from '../audit/log.ts';
import { checkName, insertRows, isClickHouseError, qualified, quoteIdent, rows } from '../warehouse/sql.ts';
import { discoverTables, type TablePlan } from './discover.ts';
import { TOMBSTONE_TABLE } from './erased-filter.ts';
import { scrubOutbox, scrubRejectsFile, type FileChange } from './files.ts';
import { findPerson, needlePattern, type Person } from './person.ts';
import { paramSource, personValues, rewriteAssignments, rowCondition, scratchSource, tableName } from './predicates.ts';
import { KEY_CHECK_KIND, keyCheck, sourceRecordValue, tombstoneHash, type TombstoneKind } from './tombstone.ts';

/**
 * Erasure (issue 16, item 2): removes one person from every table and file the product writes,
 * keeps a tombstone so a re-loaded file does not bring them back, and writes a receipt.
 *
 *   const receipt = await erasePerson(warehouse, 'anna@example.com', { key, actor, actorRole: 'cli' });
 *
 * Rows go by mutation (ALTER TABLE … DELETE, mutations_sync = 2), which rewrites the parts that held
 * them: a lightweight DELETE only masks rows, and the bytes would stay on disk until a merge. The
 * parts the mutation replaced are removed by the engine's cleanup a little later; the erasure waits
 * for it (up to cleanupTimeoutMs) so that, when it returns, the bytes are gone from the data
 * directory. The values to match live in a scratch table the mutations read and that is dropped
 * (SYNC) at the end: the engine keeps each mutation's text on disk, which then names no e-mail.
 *
 * The audit log keeps its rows (append-only, evidence of who saw whom) but the person's customer
 * ids in them become `erased:<tombstone>`. On a cluster every statement runs ON CLUSTER on the
 * shards' local tables.
 */
export interface PrivacyWarehouse {
  client: ClickHouseClient;
  database: string;
  cluster?: string;
}

export interface EraseOptions {
  /** The tombstone key (tombstone.ts privacyKey()). */
  key: string;
  actor: string;
  actorRole: string;
  requestId?: string;
  /** Count what would go; change nothing (the look-up is still audited). */
  dryRun?: boolean;
  /** The data directory whose outbox to clean (alerts' outbox); none: no outbox. */
  dataDir?: string;
  /** Rebuilds the derived tables (rollups) after the rows are gone; bin/privacy.ts passes semantic's. */
  rebuildDerived?: () => Promise<unknown>;
  /** How long to wait for the engine to remove replaced parts (default 300 s). */
  cleanupTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface TableCount {
  table: string;
  rows: number;
  action: 'deleted' | 'rewritten';
}

export interface Receipt {
  erasureId: string;
  at: string;
  /** Tombstone of the person's first customer id: matches a later request, reveals nothing. */
  subject: string;
  dryRun: boolean;
  customers: number;
  sourceRecords: number;
  tables: TableCount[];
  files: FileChange[];
  rowsRemoved: number;
  tombstones: number;
  derivedRebuilt: boolean;
  /** Replaced parts the engine had not removed from disk when the erasure returned (0: bytes gone). */
  partsPendingCleanup: number;
  excluded: { table: string; reason: string }[];
}

export const ERASURES_TABLE = 'privacy_erasures';

/** What replaces a customer id in the audit log. */
export const erasedId = (key: string, customerId: string): string => `erased:${tombstoneHash(key, 'customer_id', customerId).slice(0, 24)}`;

export async function erasePerson(wh: PrivacyWarehouse, query: string, opts: EraseOptions): Promise<Receipt> {
  const log = opts.log ?? (() => {});
  const dryRun = opts.dryRun === true;
  await requireAdministrator(wh);
  const plans = await discoverTables(wh.client, wh.database);
  const unsupported = plans.filter((p) => p.mode === 'unsupported');
  if (unsupported.length) {
    throw new Error(`cannot erase from ${unsupported.map((p) => `${p.database}.${p.table}: ${p.reason}`).join('; ')}`);
  }
  const person = await findPerson(wh.client, wh.database, plans, query);
  const targets = plans.filter((p) => p.mode === 'keyed' || p.mode === 'text' || p.mode === 'rewrite');
  // Free text (rejected lines, idempotency bodies, outbox digests) is matched by the person's
  // identifiers, never by name alone: a namesake's rejected record is theirs to fix and re-load.
  // Every line the product writes about a person carries an id, e-mail or source id with the name.
  const byIdentifiers: Person = { ...person, names: [] };
  const values = personValues(byIdentifiers);
  const counts = await countRows(wh, targets, values);
  const pattern = new RegExp(needlePattern(byIdentifiers), 'i');
  const rejectFiles = await rejectsFiles(wh);
  const deliveries = await deliveryIds(wh, person);
  const outbox = opts.dataDir ? join(opts.dataDir, 'outbox') : undefined;
  const erasureId = `${new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14)}-${randomBytes(4).toString('hex')}`;
  const subject = erasedId(opts.key, person.customerIds[0]);
  const tables: TableCount[] = [...counts.entries()]
    .filter(([, n]) => n > 0)
    .map(([p, n]) => ({ table: p.database === wh.database ? p.table : `${p.database}.${p.table}`, rows: n, action: p.mode === 'rewrite' ? ('rewritten' as const) : ('deleted' as const) }))
    .sort((a, b) => a.table.localeCompare(b.table));
  const receipt: Receipt = {
    erasureId,
    at: new Date().toISOString(),
    subject,
    dryRun,
    customers: person.customerIds.length,
    sourceRecords: person.sourceRecords.length,
    tables,
    files: [],
    rowsRemoved: tables.filter((t) => t.action === 'deleted').reduce((s, t) => s + t.rows, 0),
    tombstones: 0,
    derivedRebuilt: false,
    partsPendingCleanup: 0,
    excluded: plans.filter((p) => p.mode === 'excluded').map((p) => ({ table: p.table, reason: p.reason ?? '' })),
  };
  const scrubFiles = (dry: boolean): FileChange[] => [
    ...rejectFiles.flatMap((f) => scrubRejectsFile(f, pattern, dry) ?? []),
    ...(outbox ? scrubOutbox(outbox, deliveries, pattern, dry) : []),
  ];

  if (dryRun) {
    receipt.files = scrubFiles(true);
    await audit(wh, opts, receipt, 'dry run: nothing removed');
    return receipt;
  }

  // Other traces on disk: rows masked by an earlier lightweight DELETE (still in the part's bytes),
  // and the text of earlier mutations that named the person (the engine keeps finished ones).
  const masked = await tablesWithMaskedRows(wh, targets);
  const mentioned = await tablesWhoseMutationsName(wh, targets, values.pattern);
  const scratch = await createScratch(wh, erasureId, values, opts.key);
  const touched = new Set<TablePlan>([...masked, ...mentioned]);
  // The parts that hold the person now: the erasure is done on disk when none of them is left.
  const before = await activeParts(wh, [...touched, ...[...counts].filter(([, n]) => n > 0).map(([p]) => p)]);
  try {
    const src = scratchSource(scratch);
    for (const [plan, n] of counts) {
      if (n === 0) continue;
      touched.add(plan);
      await forgetMutations(wh, plan, true);
      const where = rowCondition(plan, src)!;
      const change = plan.mode === 'rewrite' ? `UPDATE ${rewriteAssignments(plan, scratch)} WHERE ${where}` : `DELETE WHERE ${where}`;
      log(`${plan.table}: ${plan.mode === 'rewrite' ? 'rewriting' : 'deleting'} ${n} rows`);
      await wh.client.command({ query: `ALTER TABLE ${tableName(plan)}${onCluster(wh)} ${change}`, clickhouse_settings: mutationSettings(wh) });
    }
    for (const plan of masked) {
      await forgetMutations(wh, plan, true);
      await wh.client.command({ query: `ALTER TABLE ${tableName(plan)}${onCluster(wh)} APPLY DELETED MASK`, clickhouse_settings: mutationSettings(wh) });
    }
    for (const plan of mentioned) await forgetMutations(wh, plan, true);
    receipt.files = scrubFiles(false);
    receipt.tombstones = await writeTombstones(wh, opts.key, person, erasureId);
  } finally {
    await wh.client.command({ query: `DROP TABLE IF EXISTS ${scratch}${onCluster(wh)} SYNC` });
  }
  if (opts.rebuildDerived) {
    log('rebuilding the derived tables');
    await opts.rebuildDerived();
    receipt.derivedRebuilt = true;
  }
  receipt.partsPendingCleanup = await waitForCleanup(wh, [...touched], before, opts.cleanupTimeoutMs ?? 300_000);
  for (const plan of touched) await forgetMutations(wh, plan, false);
  await insertRows(wh.client, qualified(wh.database, ERASURES_TABLE), [
    {
      erasure_id: erasureId,
      subject,
      actor: opts.actor,
      at: receipt.at.replace('T', ' ').replace('Z', ''),
      status: 'completed',
      rows_removed: receipt.rowsRemoved,
      receipt: JSON.stringify(receipt),
    },
  ]);
  await audit(wh, opts, receipt, 'erased');
  return receipt;
}

async function audit(wh: PrivacyWarehouse, opts: EraseOptions, r: Receipt, detail: string): Promise<void> {
  await writeAudit(
    { client: wh.client, database: wh.database },
    {
      action: 'privacy.erase',
      actor: opts.actor,
      actorRole: opts.actorRole,
      targetKind: 'customer',
      targetIds: [r.subject],
      rowCount: r.rowsRemoved,
      requestId: opts.requestId,
      outcome: 'ok',
      detail,
    },
  );
}

/**
 * Only the warehouse administrator may erase: the audit log it rewrites is append-only for every
 * other user. Checked first, with a mutation that changes nothing, so a refused erasure has not
 * deleted anything yet.
 */
async function requireAdministrator(wh: PrivacyWarehouse): Promise<void> {
  const table = qualified(wh.database, wh.cluster ? 'audit_log_local' : 'audit_log');
  try {
    await wh.client.command({ query: `ALTER TABLE ${table}${onCluster(wh)} UPDATE actor = actor WHERE 0`, clickhouse_settings: mutationSettings(wh) });
  } catch (e) {
    if (isClickHouseError(e, 'ACCESS_DENIED')) {
      throw new Error('erasure needs the warehouse administrator (CLICKHOUSE_USER / CLICKHOUSE_PASSWORD, or the embedded default): the audit log it rewrites is append-only for every other user', { cause: e });
    }
    throw e;
  }
}

const onCluster = (wh: PrivacyWarehouse): string => (wh.cluster ? ` ON CLUSTER ${quoteIdent(checkName(wh.cluster))}` : '');

/** Replicated tables refuse a mutation that reads another table unless told it is meant. */
const mutationSettings = (wh: PrivacyWarehouse): Record<string, string | number> => ({
  mutations_sync: 2,
  ...(wh.cluster ? { allow_nondeterministic_mutations: 1 } : {}),
});

/** Where a table's rows are read from: on a cluster, one replica of every shard. */
const readFrom = (wh: PrivacyWarehouse, plan: TablePlan): string =>
  wh.cluster ? `cluster(${quoteSql(wh.cluster)}, ${quoteIdent(plan.database)}, ${quoteIdent(plan.table)})` : tableName(plan);
const quoteSql = (s: string): string => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

async function countRows(wh: PrivacyWarehouse, plans: TablePlan[], values: ReturnType<typeof personValues>): Promise<Map<TablePlan, number>> {
  const out = new Map<TablePlan, number>();
  for (const plan of plans) {
    const where = rowCondition(plan, paramSource);
    if (!where) continue;
    const [r] = await rows<{ n: string }>(wh.client, { query: `SELECT count() AS n FROM ${readFrom(wh, plan)} WHERE ${where}`, query_params: values });
    out.set(plan, Number(r?.n ?? 0));
  }
  return out;
}

/** The rejects CSVs of every load that had rejects (`<file>.rejects.csv`, the default beside the input). */
async function rejectsFiles(wh: PrivacyWarehouse): Promise<string[]> {
  const db = quoteIdent(wh.database);
  const found = await rows<{ f: string }>(wh.client, {
    query: `SELECT DISTINCT source_file AS f FROM ${db}.ingest_batches WHERE rows_rejected > 0
      UNION DISTINCT SELECT DISTINCT source_file AS f FROM ${db}.rejects`,
  });
  return found.map((r) => `${r.f}.rejects.csv`).filter((f) => !f.startsWith('http:') && existsSync(f));
}

async function deliveryIds(wh: PrivacyWarehouse, p: Person): Promise<string[]> {
  const found = await rows<{ d: string }>(wh.client, {
    query: `SELECT DISTINCT delivery_id AS d FROM ${quoteIdent(wh.database)}.alert_ledger WHERE customer_id IN {ids:Array(String)}`,
    query_params: { ids: p.customerIds },
  }).catch(() => []);
  return found.map((r) => r.d).filter(Boolean);
}

/** The scratch table the mutations read their values from (k: kind, v: value, h: replacement). */
async function createScratch(wh: PrivacyWarehouse, erasureId: string, values: ReturnType<typeof personValues>, key: string): Promise<string> {
  const name = `privacy_scratch_${erasureId.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const table = qualified(wh.database, name);
  // On a cluster every node's mutation reads it, so every node holds a full copy (one shared replication path).
  const engine = wh.cluster
    ? `ReplicatedMergeTree('/clickhouse/tables/all/${checkName(wh.database)}/${name}', '{replica}')`
    : 'MergeTree';
  await wh.client.command({ query: `CREATE TABLE ${table}${onCluster(wh)} (k String, v String, h String) ENGINE = ${engine} ORDER BY (k, v)` });
  const list: { k: string; v: string; h: string }[] = [];
  for (const kind of ['id', 'ref', 'pair', 'email', 'phone'] as const) {
    for (const v of values[kind]) list.push({ k: kind, v, h: kind === 'id' ? erasedId(key, v) : '' });
  }
  list.push({ k: 'pattern', v: values.pattern, h: '' });
  await insertRows(wh.client, table, list, wh.cluster ? { insert_quorum: 'auto' } : undefined);
  if (wh.cluster) await wh.client.command({ query: `SYSTEM SYNC REPLICA ${table}${onCluster(wh)}` });
  return table;
}

async function writeTombstones(wh: PrivacyWarehouse, key: string, p: Person, erasureId: string): Promise<number> {
  const stones = new Map<string, { kind: string; hash: string; erasure_id: string }>();
  const add = (kind: TombstoneKind, value: string): void => {
    if (!value) return;
    const hash = tombstoneHash(key, kind, value);
    stones.set(`${kind}:${hash}`, { kind, hash, erasure_id: erasureId });
  };
  for (const id of p.customerIds) add('customer_id', id);
  for (const e of p.emails) add('email', e);
  for (const ph of p.phones) add('phone', ph);
  for (const r of p.sourceRecords) add('source_record', sourceRecordValue(r.source, r.sourceId));
  const list = [...stones.values()];
  list.push({ kind: KEY_CHECK_KIND, hash: keyCheck(key), erasure_id: erasureId });
  await insertRows(wh.client, qualified(wh.database, TOMBSTONE_TABLE), list);
  return stones.size;
}

/** Tables with rows masked by a lightweight DELETE: their bytes stay in the part until it is rewritten. */
async function tablesWithMaskedRows(wh: PrivacyWarehouse, plans: TablePlan[]): Promise<TablePlan[]> {
  const parts = wh.cluster ? `clusterAllReplicas(${quoteSql(wh.cluster)}, system.parts)` : 'system.parts';
  const found = await rows<{ t: string }>(wh.client, {
    query: `SELECT DISTINCT concat(database, '.', table) AS t FROM ${parts} WHERE active AND has_lightweight_delete AND database IN {dbs:Array(String)}`,
    query_params: { dbs: [...new Set(plans.map((p) => p.database))] },
  });
  const names = new Set(found.map((r) => r.t));
  return plans.filter((p) => names.has(`${p.database}.${p.table}`));
}

/** Tables whose kept mutation texts name the person (e.g. a load's DELETE … WHERE customer_id IN (…)). */
async function tablesWhoseMutationsName(wh: PrivacyWarehouse, plans: TablePlan[], pattern: string): Promise<TablePlan[]> {
  const mutations = wh.cluster ? `clusterAllReplicas(${quoteSql(wh.cluster)}, system.mutations)` : 'system.mutations';
  const found = await rows<{ t: string }>(wh.client, {
    query: `SELECT DISTINCT concat(database, '.', table) AS t FROM ${mutations} WHERE database IN {dbs:Array(String)} AND match(command, {pattern:String})`,
    query_params: { dbs: [...new Set(plans.map((p) => p.database))], pattern },
  });
  const names = new Set(found.map((r) => r.t));
  return plans.filter((p) => names.has(`${p.database}.${p.table}`));
}

/**
 * The engine keeps the text of the last finished mutations of a table on disk (finished_mutations_to_keep,
 * default 100). While an erasure runs, a table keeps only its newest one — the erasure's own, which
 * names a scratch table, not the person — and gets its setting back afterwards.
 */
async function forgetMutations(wh: PrivacyWarehouse, plan: TablePlan, on: boolean): Promise<void> {
  const change = on ? 'MODIFY SETTING finished_mutations_to_keep = 1' : 'RESET SETTING finished_mutations_to_keep';
  await wh.client.command({ query: `ALTER TABLE ${tableName(plan)}${onCluster(wh)} ${change}` });
}

const partsTable = (wh: PrivacyWarehouse): string => (wh.cluster ? `clusterAllReplicas(${quoteSql(wh.cluster)}, system.parts)` : 'system.parts');

/** `db.table/part` of every active part of these tables. */
async function activeParts(wh: PrivacyWarehouse, plans: TablePlan[]): Promise<string[]> {
  if (plans.length === 0) return [];
  const found = await rows<{ p: string }>(wh.client, {
    query: `SELECT DISTINCT concat(database, '.', table, '/', name) AS p FROM ${partsTable(wh)} WHERE active AND concat(database, '.', table) IN {names:Array(String)}`,
    query_params: { names: plans.map((p) => `${p.database}.${p.table}`) },
  });
  return found.map((r) => r.p);
}

/**
 * Waits until the parts that held the person (`before`) are gone from disk — the mutations replaced
 * them; the engine removes replaced parts a little later — and each table keeps no more than its
 * newest mutation text. Returns what remains (0: done). Parts merged after the erasure do not count:
 * they never held the person.
 */
async function waitForCleanup(wh: PrivacyWarehouse, plans: TablePlan[], before: string[], timeoutMs: number): Promise<number> {
  if (before.length === 0 && plans.length === 0) return 0;
  const names = plans.map((p) => `${p.database}.${p.table}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mutations = wh.cluster ? `clusterAllReplicas(${quoteSql(wh.cluster)}, system.mutations)` : 'system.mutations';
    const [r] = await rows<{ n: string }>(wh.client, {
      query: `SELECT (SELECT count() FROM ${partsTable(wh)} WHERE concat(database, '.', table, '/', name) IN {before:Array(String)})
        + (SELECT countIf(n > 1) FROM (SELECT count() AS n FROM ${mutations} WHERE concat(database, '.', table) IN {names:Array(String)} GROUP BY database, table)) AS n`,
      query_params: { names, before },
    });
    const left = Number(r?.n ?? 0);
    if (left === 0 || Date.now() >= deadline) return left;
    await new Promise((res) => setTimeout(res, 1000));
  }
}
