/**
 * The delivery ledger in ClickHouse (tables in lib/warehouse/migrations/003-alerts.ts). SQL builders
 * are pure functions returning a BoundQuery; values are always bound, identifiers come from the
 * database name checked by the warehouse kit's checkName().
 */
import type { ClickHouseSettings } from '@clickhouse/client';
import type { Warehouse } from '../lib/warehouse/index.ts';
import { checkName, type BoundQuery } from '../lib/warehouse/sql.ts';
import type { Channel } from './config.ts';
import type { ValueBasis } from './rules.ts';

export type DeliveryStatus = 'pending' | 'sent' | 'failed';
export type Trigger = 'first' | 'reopened' | 'cooldown' | 'rise' | 'deals';

/**
 * The trigger of a digest's one non-episode row: a digest for an owner with open deals at risk and
 * no new churn episode in the window (deals-at-risk.ts). Its customer_id is empty and its
 * episode_id `dl-…`; it exists so the digest has a ledger row (exactly once, retried when it
 * fails) without being an alert about a customer.
 */
export const DEALS_TRIGGER = 'deals' satisfies Trigger;

export interface Reason {
  feature: string;
  text: string;
  contribution: number;
}

/** One row of alert_ledger: one customer's episode in one digest on one channel. */
export interface LedgerRow {
  owner_id: string;
  customer_id: string;
  episode_id: string;
  channel: Channel;
  delivery_id: string;
  message_id: string;
  run_window: string;
  run_window_at: Date;
  status: DeliveryStatus;
  attempts: number;
  last_error: string;
  recipient: string;
  customer_name: string;
  probability: number;
  previous_probability: number | null;
  value_at_risk: number;
  value_basis: ValueBasis;
  reasons: Reason[];
  next_step: string;
  trigger: Trigger;
  more_at_risk: number;
  planned_at: Date;
  sent_at: Date | null;
  version: number;
}

/** DateTime64(3, 'UTC') text. */
export function chTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

let lastVersion = 0;
/** Row versions for ReplacingMergeTree: microseconds of wall time, strictly increasing in this process. */
export function nextVersion(): number {
  lastVersion = Math.max(Date.now() * 1000, lastVersion + 1);
  return lastVersion;
}

/** On a cluster an insert through a Distributed table must have landed before we read it back. */
export function insertSettings(warehouse: Pick<Warehouse, 'cluster'>): ClickHouseSettings {
  return warehouse.cluster ? ({ insert_distributed_sync: 1 } as ClickHouseSettings) : {};
}

const ROW_COLUMNS = `owner_id, customer_id, episode_id, channel, delivery_id, message_id, run_window,
  toString(toUnixTimestamp64Milli(run_window_at)) AS run_window_ms, status, attempts, last_error, recipient,
  customer_name, probability, previous_probability, value_at_risk, value_basis,
  arrayMap(r -> tupleElement(r, 1), reasons) AS reason_features,
  arrayMap(r -> tupleElement(r, 2), reasons) AS reason_texts,
  arrayMap(r -> tupleElement(r, 3), reasons) AS reason_contributions,
  next_step, trigger, more_at_risk, toString(toUnixTimestamp64Milli(planned_at)) AS planned_ms,
  if(sent_at IS NULL, NULL, toString(toUnixTimestamp64Milli(assumeNotNull(sent_at)))) AS sent_ms, toString(version) AS version`;

interface RawRow {
  owner_id: string;
  customer_id: string;
  episode_id: string;
  channel: Channel;
  delivery_id: string;
  message_id: string;
  run_window: string;
  run_window_ms: string;
  status: DeliveryStatus;
  attempts: number | string;
  last_error: string;
  recipient: string;
  customer_name: string;
  probability: number;
  previous_probability: number | null;
  value_at_risk: number;
  value_basis: ValueBasis;
  reason_features: string[];
  reason_texts: string[];
  reason_contributions: number[];
  next_step: string;
  trigger: Trigger;
  more_at_risk: number | string;
  planned_ms: string;
  sent_ms: string | null;
  version: string;
}

function fromRaw(r: RawRow): LedgerRow {
  return {
    owner_id: r.owner_id,
    customer_id: r.customer_id,
    episode_id: r.episode_id,
    channel: r.channel,
    delivery_id: r.delivery_id,
    message_id: r.message_id,
    run_window: r.run_window,
    run_window_at: new Date(Number(r.run_window_ms)),
    status: r.status,
    attempts: Number(r.attempts),
    last_error: r.last_error,
    recipient: r.recipient,
    customer_name: r.customer_name,
    probability: Number(r.probability),
    previous_probability: r.previous_probability === null ? null : Number(r.previous_probability),
    value_at_risk: Number(r.value_at_risk),
    value_basis: r.value_basis,
    reasons: r.reason_features.map((feature, i) => ({ feature, text: r.reason_texts[i], contribution: Number(r.reason_contributions[i]) })),
    next_step: r.next_step,
    trigger: r.trigger,
    more_at_risk: Number(r.more_at_risk),
    planned_at: new Date(Number(r.planned_ms)),
    sent_at: r.sent_ms === null ? null : new Date(Number(r.sent_ms)),
    version: Number(r.version),
  };
}

function toRaw(r: LedgerRow): Record<string, unknown> {
  return {
    owner_id: r.owner_id,
    customer_id: r.customer_id,
    episode_id: r.episode_id,
    channel: r.channel,
    delivery_id: r.delivery_id,
    message_id: r.message_id,
    run_window: r.run_window,
    run_window_at: chTime(r.run_window_at),
    status: r.status,
    attempts: r.attempts,
    last_error: r.last_error,
    recipient: r.recipient,
    customer_name: r.customer_name,
    probability: r.probability,
    previous_probability: r.previous_probability,
    value_at_risk: r.value_at_risk,
    value_basis: r.value_basis,
    reasons: r.reasons.map((x) => ({ feature: x.feature, text: x.text, contribution: x.contribution })),
    next_step: r.next_step,
    trigger: r.trigger,
    more_at_risk: r.more_at_risk,
    planned_at: chTime(r.planned_at),
    sent_at: r.sent_at ? chTime(r.sent_at) : null,
    version: r.version,
  };
}

export interface LedgerFilter {
  ownerId?: string;
  status?: DeliveryStatus[];
  deliveryId?: string;
  /** Newest digests first; at most this many digests (all their rows). */
  limitDeliveries?: number;
}

/** Ledger rows (newest version of each) matching a filter, newest digest first. */
export function ledgerRowsQuery(db: string, f: LedgerFilter = {}): BoundQuery {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (f.ownerId !== undefined) {
    where.push('owner_id = {owner_id:String}');
    params.owner_id = f.ownerId;
  }
  if (f.status?.length) {
    where.push('status IN {statuses:Array(String)}');
    params.statuses = f.status;
  }
  if (f.deliveryId !== undefined) {
    where.push('delivery_id = {delivery_id:String}');
    params.delivery_id = f.deliveryId;
  }
  let limit = '';
  if (f.limitDeliveries !== undefined) {
    // The newest N digests of the selection, then all their rows.
    limit = `${where.length ? 'AND' : 'WHERE'} delivery_id IN (
      SELECT delivery_id FROM ${checkName(db)}.alert_ledger FINAL ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      GROUP BY delivery_id ORDER BY max(run_window_at) DESC, delivery_id LIMIT {limit_deliveries:UInt32})`;
    params.limit_deliveries = f.limitDeliveries;
  }
  return {
    query: `SELECT ${ROW_COLUMNS}
FROM ${checkName(db)}.alert_ledger FINAL
${where.length ? `WHERE ${where.join(' AND ')}` : ''} ${limit}
ORDER BY run_window_at DESC, owner_id, delivery_id, channel, value_at_risk DESC, customer_id`,
    query_params: params,
  };
}

export async function readLedger(warehouse: Warehouse, f: LedgerFilter = {}): Promise<LedgerRow[]> {
  const rs = await warehouse.client.query({ ...ledgerRowsQuery(warehouse.database, f), format: 'JSONEachRow' });
  return (await rs.json<RawRow>()).map(fromRaw);
}

export async function writeLedger(warehouse: Warehouse, rows: LedgerRow[]): Promise<void> {
  if (!rows.length) return;
  await warehouse.client.insert({
    table: `${checkName(warehouse.database)}.alert_ledger`,
    values: rows.map(toRaw),
    format: 'JSONEachRow',
    clickhouse_settings: insertSettings(warehouse),
  });
}

/** Owners who already have a digest planned in this window: one digest per owner per window, however often it runs. */
export async function ownersPlannedIn(warehouse: Warehouse, window: string): Promise<Set<string>> {
  const rs = await warehouse.client.query({
    query: `SELECT DISTINCT owner_id FROM ${checkName(warehouse.database)}.alert_ledger WHERE run_window = {window:String}`,
    query_params: { window },
    format: 'JSONEachRow',
  });
  return new Set((await rs.json<{ owner_id: string }>()).map((r) => r.owner_id));
}

/** The newest episode per (owner, customer), with whether a run has closed it since. */
export interface LatestEpisode {
  owner_id: string;
  customer_id: string;
  episode_id: string;
  run_window_at: Date;
  probability: number;
  closed: boolean;
}

export function latestEpisodesQuery(db: string, ownerId?: string): BoundQuery {
  const d = checkName(db);
  return {
    query: `SELECT e.owner_id AS owner_id, e.customer_id AS customer_id, e.episode_id AS episode_id,
  toString(e.window_ms) AS window_ms, e.probability AS probability, c.episode_id != '' AS closed
FROM (
  SELECT owner_id, customer_id, episode_id, toUnixTimestamp64Milli(any(run_window_at)) AS window_ms, any(probability) AS probability
  FROM ${d}.alert_ledger FINAL
  WHERE trigger != '${DEALS_TRIGGER}'${ownerId !== undefined ? ' AND owner_id = {owner_id:String}' : ''}
  GROUP BY owner_id, customer_id, episode_id
  ORDER BY owner_id, customer_id, window_ms DESC, episode_id DESC
  LIMIT 1 BY owner_id, customer_id
) AS e
LEFT JOIN (SELECT DISTINCT owner_id, customer_id, episode_id FROM ${d}.alert_episode_closures) AS c
  ON c.owner_id = e.owner_id AND c.customer_id = e.customer_id AND c.episode_id = e.episode_id`,
    query_params: ownerId !== undefined ? { owner_id: ownerId } : {},
  };
}

export async function readLatestEpisodes(warehouse: Warehouse, ownerId?: string): Promise<LatestEpisode[]> {
  const rs = await warehouse.client.query({ ...latestEpisodesQuery(warehouse.database, ownerId), format: 'JSONEachRow' });
  const rows = await rs.json<{ owner_id: string; customer_id: string; episode_id: string; window_ms: string; probability: number; closed: number | boolean }>();
  return rows.map((r) => ({
    owner_id: r.owner_id,
    customer_id: r.customer_id,
    episode_id: r.episode_id,
    run_window_at: new Date(Number(r.window_ms)),
    probability: Number(r.probability),
    closed: Boolean(Number(r.closed)),
  }));
}

/** Each owner's newest deals-only digest: its window and the deals it was planned for (reasons' features). */
export async function readLatestDealsDigests(warehouse: Warehouse, ownerId?: string): Promise<Map<string, { run_window_at: Date; dealIds: string[] }>> {
  const rs = await warehouse.client.query({
    query: `SELECT owner_id, toString(toUnixTimestamp64Milli(max(run_window_at))) AS window_ms,
  argMax(arrayMap(r -> tupleElement(r, 1), reasons), run_window_at) AS deal_ids
FROM ${checkName(warehouse.database)}.alert_ledger FINAL
WHERE trigger = '${DEALS_TRIGGER}'${ownerId !== undefined ? ' AND owner_id = {owner_id:String}' : ''}
GROUP BY owner_id`,
    query_params: ownerId !== undefined ? { owner_id: ownerId } : {},
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ owner_id: string; window_ms: string; deal_ids: string[] }>();
  return new Map(rows.map((r) => [r.owner_id, { run_window_at: new Date(Number(r.window_ms)), dealIds: r.deal_ids }]));
}

export interface Closure {
  owner_id: string;
  customer_id: string;
  episode_id: string;
  probability: number;
  run_window: string;
  closed_at: Date;
  /** Why it closed (episodes.ts closeReason); rows before migration 021 read 'below_threshold'. */
  reason: CloseReason;
}

/** Why an open episode closed (episodes.ts closeReason decides). Lives here, beside the rows that store it, so
 * the ledger does not import the episode rules (a cycle). */
export type CloseReason = 'lapsed' | 'below_threshold';

export async function writeClosures(warehouse: Warehouse, closures: Closure[]): Promise<void> {
  if (!closures.length) return;
  await warehouse.client.insert({
    table: `${checkName(warehouse.database)}.alert_episode_closures`,
    values: closures.map((c) => ({ ...c, closed_at: chTime(c.closed_at) })),
    format: 'JSONEachRow',
    clickhouse_settings: insertSettings(warehouse),
  });
}

export interface RunRecord {
  run_id: string;
  run_window: string;
  run_window_at: Date;
  trigger: 'schedule' | 'manual' | 'cli';
  owner_filter: string;
  started_at: Date;
  finished_at: Date;
  scores_scored_at: Date | null;
  rescored: boolean;
  candidates: number;
  new_episodes: number;
  closed_episodes: number;
  deliveries_sent: number;
  deliveries_failed: number;
  error: string;
}

export async function writeRun(warehouse: Warehouse, r: RunRecord): Promise<void> {
  await warehouse.client.insert({
    table: `${checkName(warehouse.database)}.alert_runs`,
    values: [
      {
        ...r,
        run_window_at: chTime(r.run_window_at),
        started_at: chTime(r.started_at),
        finished_at: chTime(r.finished_at),
        scores_scored_at: r.scores_scored_at ? chTime(r.scores_scored_at) : null,
        rescored: r.rescored ? 1 : 0,
      },
    ],
    format: 'JSONEachRow',
    clickhouse_settings: insertSettings(warehouse),
  });
}

/** The most recent runs, newest first (for the admin page). */
export async function readRuns(warehouse: Warehouse, limit = 20): Promise<RunRecord[]> {
  const rs = await warehouse.client.query({
    query: `SELECT run_id, run_window, toString(toUnixTimestamp64Milli(run_window_at)) AS w, trigger, owner_filter,
      toString(toUnixTimestamp64Milli(started_at)) AS s, toString(toUnixTimestamp64Milli(finished_at)) AS f,
      if(scores_scored_at IS NULL, NULL, toString(toUnixTimestamp64Milli(assumeNotNull(scores_scored_at)))) AS sc,
      rescored, candidates, new_episodes, closed_episodes, deliveries_sent, deliveries_failed, error
    FROM ${checkName(warehouse.database)}.alert_runs ORDER BY started_at DESC LIMIT {limit:UInt32}`,
    query_params: { limit },
    format: 'JSONEachRow',
  });
  type Raw = Omit<RunRecord, 'run_window_at' | 'started_at' | 'finished_at' | 'scores_scored_at' | 'rescored'> & { w: string; s: string; f: string; sc: string | null; rescored: number };
  return (await rs.json<Raw>()).map(({ w, s, f, sc, ...r }) => ({
    ...r,
    run_window_at: new Date(Number(w)),
    started_at: new Date(Number(s)),
    finished_at: new Date(Number(f)),
    scores_scored_at: sc === null ? null : new Date(Number(sc)),
    rescored: Number(r.rescored) === 1,
    candidates: Number(r.candidates),
    new_episodes: Number(r.new_episodes),
    closed_episodes: Number(r.closed_episodes),
    deliveries_sent: Number(r.deliveries_sent),
    deliveries_failed: Number(r.deliveries_failed),
  }));
}
