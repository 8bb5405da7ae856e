/**
 * Scoring runs that publish atomically (issue 17, item 7; tables and views in migration 014).
 *
 * A run writes its churn and CLV scores under its own run id into `churn_scores_runs` and
 * `clv_scores_runs`, which readers never read directly. Only when both are complete (row counts
 * checked) does it insert one `published` row into `model_runs`; the `_current` views follow the
 * newest published run, so both score sets switch with that one insert. A run that fails is marked
 * `failed` and its rows dropped; a run whose process died stays `running` until the next start
 * finds it (its process is gone, or it stopped sending heartbeats) and marks it `interrupted`, and
 * the start retries it (models/scoring/recover.ts).
 *
 * Pruning after a switch keeps the published run and the one before it (a query that resolved the
 * run id just before the switch still finds its rows) and drops every other run's partitions,
 * except runs still alive in another process.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { ClickHouseSettings } from '@clickhouse/client';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { checkName, quoteIdent, rows } from '../../lib/warehouse/sql.ts';

export type RunStatus = 'running' | 'published' | 'failed' | 'interrupted';
export type RunPhase = 'started' | 'trained' | 'churn-scored' | 'clv-scored' | 'published';

/** Tables holding rows per run id (one partition per run): what pruning and failure clean up. */
export const RUN_SCORED_TABLES = ['churn_scores_runs', 'clv_scores_runs'] as const;

/** A running run refreshes updated_at this often; one silent for STALE_AFTER_MS is taken as dead. */
export const HEARTBEAT_MS = 60_000;
export const STALE_AFTER_MS = 10 * 60_000;

export interface ModelRunRecord {
  run_id: string;
  status: RunStatus;
  phase: RunPhase;
  as_of: string;
  started_at: string;
  updated_at: string;
  churn_model_version: string;
  clv_model_version: string;
  churn_customers: number;
  clv_customers: number;
  host: string;
  pid: number;
  retry_of: string;
  detail: string;
}

const RUN_ID_RE = /^run-\d{8}-\d{8}T\d{9}-[0-9a-f]{6}$/;

/** `run-<as of>-<start, UTC to the ms>-<random>`: sorts by as-of then start, unique across processes. */
export function newRunId(asOf: string, at: Date = new Date()): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw new RangeError(`as-of "${asOf}" is not a YYYY-MM-DD day`);
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('.', '').replace('Z', '');
  return `run-${asOf.replaceAll('-', '')}-${stamp}-${randomBytes(3).toString('hex')}`;
}

export function isRunId(s: string): boolean {
  return RUN_ID_RE.test(s);
}

/** On a cluster an insert returns only once every shard holds its rows: the publish must follow them. */
export function runInsertSettings(wh: Pick<Warehouse, 'cluster'>): ClickHouseSettings {
  return { date_time_input_format: 'best_effort', ...(wh.cluster ? { insert_distributed_sync: 1 } : {}) };
}

let lastVersion = 0;
/** Row versions increase within a process even when two writes share a millisecond. */
function nextVersion(now: number): number {
  lastVersion = Math.max(lastVersion + 1, now * 1000);
  return lastVersion;
}

async function writeRunRow(wh: Warehouse, r: ModelRunRecord): Promise<void> {
  await wh.client.insert({
    table: `${checkName(wh.database)}.model_runs`,
    values: [{ ...r, version: nextVersion(Date.parse(r.updated_at)) }],
    format: 'JSONEachRow',
    clickhouse_settings: runInsertSettings(wh),
  });
}

export interface BeginRunOptions {
  asOf: string;
  /** The interrupted run this one retries. */
  retryOf?: string;
  now?: () => Date;
  /** Heartbeat period (default HEARTBEAT_MS); 0 disables it. */
  heartbeatMs?: number;
}

/** One scoring run in progress: report phases, then publish or fail. */
export class ModelRun {
  readonly runId: string;
  private record: ModelRunRecord;
  private timer: NodeJS.Timeout | undefined;
  /** Writes of this run, one after another, so a heartbeat never lands after the final status. */
  private chain: Promise<void> = Promise.resolve();
  private finished = false;

  constructor(
    private readonly wh: Warehouse,
    record: ModelRunRecord,
    private readonly now: () => Date,
  ) {
    this.runId = record.run_id;
    this.record = record;
  }

  get asOf(): string {
    return this.record.as_of;
  }

  get state(): Readonly<ModelRunRecord> {
    return this.record;
  }

  private write(changes: Partial<ModelRunRecord>): Promise<void> {
    this.record = { ...this.record, ...changes, updated_at: this.now().toISOString() };
    const snapshot = this.record;
    // A failed write (a missed heartbeat) must not fail the writes queued after it.
    const written = this.chain.catch(() => {}).then(() => writeRunRow(this.wh, snapshot));
    this.chain = written;
    return written;
  }

  startHeartbeat(ms: number): void {
    if (ms <= 0) return;
    this.timer = setInterval(() => {
      if (!this.finished) this.write({}).catch(() => {}); // a missed heartbeat only ages the run
    }, ms);
    this.timer.unref();
  }

  async phase(phase: RunPhase, changes: Partial<ModelRunRecord> = {}): Promise<void> {
    if (this.finished) throw new Error(`model run ${this.runId} is already ${this.record.status}`);
    await this.write({ ...changes, phase });
  }

  private stop(): void {
    this.finished = true;
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * The switch: checks that the run's rows are all there, then writes the one `published` row the
   * `_current` views follow. Throws (and the caller fails the run) when a count is off.
   */
  async publish(expected: { churn: number; clv: number }): Promise<ModelRunRecord> {
    const db = checkName(this.wh.database);
    const [held] = await rows<{ churn: string; clv: string }>(this.wh.client, {
      query: `SELECT (SELECT count() FROM ${db}.churn_scores_runs WHERE run_id = {run:String}) AS churn,
                     (SELECT count() FROM ${db}.clv_scores_runs WHERE run_id = {run:String}) AS clv`,
      query_params: { run: this.runId },
    });
    if (Number(held.churn) !== expected.churn || Number(held.clv) !== expected.clv) {
      throw new Error(
        `model run ${this.runId} is incomplete: churn_scores_runs holds ${held.churn} of ${expected.churn} rows, ` +
          `clv_scores_runs ${held.clv} of ${expected.clv}; not published`,
      );
    }
    this.stop();
    await this.write({ status: 'published', phase: 'published', churn_customers: expected.churn, clv_customers: expected.clv });
    return this.record;
  }

  /** Marks the run failed and drops its rows (best effort: pruning catches what is left). */
  async fail(error: unknown): Promise<void> {
    this.stop();
    const message = error instanceof Error ? error.message : String(error);
    await this.write({ status: 'failed', detail: `failed in phase ${this.record.phase}: ${message.split('\n')[0].slice(0, 500)}` });
    await dropRunRows(this.wh, [this.runId]).catch(() => {});
  }
}

export async function beginRun(wh: Warehouse, opts: BeginRunOptions): Promise<ModelRun> {
  const now = opts.now ?? (() => new Date());
  const at = now();
  const record: ModelRunRecord = {
    run_id: newRunId(opts.asOf, at),
    status: 'running',
    phase: 'started',
    as_of: opts.asOf,
    started_at: at.toISOString(),
    updated_at: at.toISOString(),
    churn_model_version: '',
    clv_model_version: '',
    churn_customers: 0,
    clv_customers: 0,
    host: hostname(),
    pid: process.pid,
    retry_of: opts.retryOf ?? '',
    detail: '',
  };
  await writeRunRow(wh, record);
  const run = new ModelRun(wh, record, now);
  run.startHeartbeat(opts.heartbeatMs ?? HEARTBEAT_MS);
  return run;
}

const RUN_COLUMNS = `run_id, status, phase, toString(as_of) AS as_of,
  formatDateTime(started_at, '%Y-%m-%dT%H:%i:%s.%fZ', 'UTC') AS started_at,
  formatDateTime(updated_at, '%Y-%m-%dT%H:%i:%s.%fZ', 'UTC') AS updated_at,
  churn_model_version, clv_model_version, churn_customers, clv_customers, host, pid, retry_of, detail`;

function parseRecord(r: ModelRunRecord): ModelRunRecord {
  return { ...r, churn_customers: Number(r.churn_customers), clv_customers: Number(r.clv_customers), pid: Number(r.pid) };
}

/** Runs newest first (their latest status), at most `limit`. */
export async function listRuns(wh: Warehouse, limit = 20): Promise<ModelRunRecord[]> {
  const list = await rows<ModelRunRecord>(wh.client, {
    query: `SELECT ${RUN_COLUMNS} FROM ${checkName(wh.database)}.model_runs FINAL ORDER BY started_at DESC, run_id DESC LIMIT {limit:UInt32}`,
    query_params: { limit },
  });
  return list.map(parseRecord);
}

/** The run the `_current` views show; undefined before the first publish. */
export async function publishedRun(wh: Warehouse): Promise<ModelRunRecord | undefined> {
  const db = checkName(wh.database);
  const [r] = await rows<ModelRunRecord>(wh.client, {
    query: `SELECT ${RUN_COLUMNS} FROM ${db}.model_runs FINAL
      WHERE status = 'published' AND run_id = (SELECT argMax(run_id, (updated_at, run_id)) FROM ${db}.model_runs WHERE status = 'published')`,
  });
  return r ? parseRecord(r) : undefined;
}

/** Drops the rows of these runs from every per-run score table (whole partitions; ON CLUSTER on a cluster). */
export async function dropRunRows(wh: Warehouse, runIds: readonly string[]): Promise<void> {
  const db = quoteIdent(checkName(wh.database));
  for (const runId of runIds) {
    // Run ids are written by newRunId only; the check keeps anything else out of the DDL text.
    if (!isRunId(runId)) throw new RangeError(`not a run id: "${runId}"`);
    for (const table of RUN_SCORED_TABLES) {
      const target = wh.cluster ? `${db}.${quoteIdent(`${table}_local`)} ON CLUSTER ${quoteIdent(checkName(wh.cluster))}` : `${db}.${quoteIdent(table)}`;
      await wh.client.command({ query: `ALTER TABLE ${target} DROP PARTITION '${runId}'` });
    }
  }
}

export interface Liveness {
  now?: Date;
  staleAfterMs?: number;
  /** Whether a process of this host is alive (default: signal 0). */
  pidAlive?: (pid: number) => boolean;
}

function defaultPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Why a `running` run is dead, or undefined while it may still be alive: its process on this host
 * is gone, or it has sent no heartbeat for staleAfterMs (a process on another host, or a reused pid).
 */
export function deadReason(r: ModelRunRecord, opts: Liveness = {}): string | undefined {
  if (r.status !== 'running') return undefined;
  const now = (opts.now ?? new Date()).getTime();
  const alive = opts.pidAlive ?? defaultPidAlive;
  if (r.host === hostname() && r.pid !== process.pid && !alive(r.pid)) return `its process ${r.pid} on ${r.host} is gone`;
  const silent = now - Date.parse(r.updated_at);
  const stale = opts.staleAfterMs ?? STALE_AFTER_MS;
  if (silent > stale) return `no heartbeat from ${r.host} (process ${r.pid}) for ${Math.round(silent / 60_000)} min`;
  return undefined;
}

/**
 * Deletes every run's rows except the published run, the one published before it, and runs that
 * are still running and alive. Returns the run ids dropped.
 */
export async function pruneRuns(wh: Warehouse, opts: Liveness = {}): Promise<string[]> {
  const db = checkName(wh.database);
  const held = await rows<{ run_id: string }>(wh.client, {
    query: RUN_SCORED_TABLES.map((t) => `SELECT DISTINCT run_id FROM ${db}.${t}`).join(' UNION DISTINCT '),
  });
  if (!held.length) return [];
  const runs = new Map((await listRuns(wh, 10_000)).map((r) => [r.run_id, r]));
  const published = [...runs.values()]
    .filter((r) => r.status === 'published')
    .sort((a, b) => b.updated_at.localeCompare(a.updated_at) || b.run_id.localeCompare(a.run_id))
    .slice(0, 2)
    .map((r) => r.run_id);
  const keep = new Set(published);
  for (const r of runs.values()) if (r.status === 'running' && !deadReason(r, opts)) keep.add(r.run_id);
  const drop = held.map((h) => h.run_id).filter((id) => !keep.has(id) && isRunId(id));
  await dropRunRows(wh, drop);
  return drop;
}

/**
 * Marks every dead `running` run `interrupted` (with how it was found) and drops its rows.
 * Returns the runs marked, as they were when found.
 */
export async function markInterruptedRuns(wh: Warehouse, opts: Liveness = {}): Promise<(ModelRunRecord & { reason: string })[]> {
  const found: (ModelRunRecord & { reason: string })[] = [];
  for (const r of await listRuns(wh, 10_000)) {
    const reason = deadReason(r, opts);
    if (!reason) continue;
    const at = (opts.now ?? new Date()).toISOString();
    await writeRunRow(wh, { ...r, status: 'interrupted', updated_at: at, detail: `interrupted in phase ${r.phase}: ${reason} (found ${at})` });
    await dropRunRows(wh, [r.run_id]);
    found.push({ ...r, reason });
  }
  return found;
}
