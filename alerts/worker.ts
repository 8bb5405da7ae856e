/**
 * The alerts worker, started by `npm start` beside the servers: sends the digests on the rules'
 * schedule and re-trains/re-scores the models on theirs. Jobs run one at a time (a digest never
 * reads scores that are being rewritten); the rules file is re-read on every tick, so an admin's
 * schedule change applies within a minute.
 */
import type { Warehouse } from '../lib/warehouse/index.ts';
import { lineLog, partLogger } from '../lib/log.ts';
import { describeAsOf, warehouseAsOf } from '../lib/as-of.ts';
import { systemClock, type Clock } from './clock.ts';
import { loadAlertsConfig, type AlertsConfig } from './config.ts';
import { AlertsError } from './errors.ts';
import type { RetryOptions } from './deliver/retry.ts';
import { defaultScore, runAlerts, type RunAlertsOptions, type RunResult, type ScoreFn } from './run.ts';
import { readRules } from './rules.ts';
import { startScheduler, type Scheduler } from './schedule.ts';

export interface WorkerOptions {
  warehouse: Warehouse;
  dataDir: string;
  /** Delivery settings (default: loadAlertsConfig(dataDir) from the environment). */
  config?: AlertsConfig;
  /** Injected time (tests); default the system clock. */
  clock?: Clock;
  log?: (line: string) => void;
  /** Model refresh (default trainAndScore). */
  score?: ScoreFn;
  retry?: RetryOptions;
  /** Longest sleep between two looks at the rules file (default 60 s). */
  pollMs?: number;
  /** How long close() waits for a job in progress (default 10 s); the ledger makes an interrupted run safe. */
  closeTimeoutMs?: number;
  /** CRM_AS_OF, when set: runs and re-scores use the product's as-of date (lib/as-of.ts). */
  configuredAsOf?: string;
}

export interface Worker {
  /** Runs the alerts now (for the last scheduled window), after any job in progress. */
  runNow(opts?: Pick<RunAlertsOptions, 'dryRun' | 'ownerId' | 'today' | 'rescore'>): Promise<RunResult>;
  /** Re-trains and re-scores now, after any job in progress. */
  rescoreNow(): Promise<void>;
  /** Next scheduled times: { alerts, rescore } (null: disabled). */
  nextRuns(): { alerts: Date | null; rescore: Date | null };
  /** Resolves when no job is running or queued (tests: after moving the clock past a fire time). */
  idle(): Promise<void>;
  /** Stops the schedule and waits (bounded) for a job in progress. */
  close(): Promise<void>;
}

export function startWorker(opts: WorkerOptions): Worker {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? lineLog(partLogger('worker', { job: 'alerts' }));
  const config = opts.config ?? loadAlertsConfig(opts.dataDir);
  const score = opts.score ?? defaultScore;
  // Creates the rules file with the defaults on first start. An invalid file does not stop the other
  // services: it is logged, and the schedule waits (re-reading the file every minute) until it is fixed.
  try {
    readRules(opts.dataDir);
  } catch (err) {
    log(`${(err as Error).message}; no digests until the file is fixed`);
  }

  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new AlertsError('RUN_BUSY', 'the alerts worker is closed'));
    const next = queue.catch(() => undefined).then(job);
    queue = next.catch(() => undefined);
    return next;
  };

  const run = (extra: Partial<RunAlertsOptions>): Promise<RunResult> =>
    serial(() => runAlerts({ warehouse: opts.warehouse, dataDir: opts.dataDir, config, clock, log, score, retry: opts.retry, configuredAsOf: opts.configuredAsOf, ...extra }));

  const rescore = (): Promise<void> =>
    serial(async () => {
      const t0 = Date.now();
      // Old data is scored as of its end, not as of an empty today (lib/as-of.ts).
      const asOf = await warehouseAsOf(opts.warehouse.client, opts.warehouse.database, { configured: opts.configuredAsOf, now: clock.now() });
      log(`re-training and re-scoring the churn and CLV models ${describeAsOf(asOf, asOf.lastFactDate)}`);
      await score(opts.warehouse, { today: asOf.date, dataDir: opts.dataDir, onProgress: (l) => log(`  ${l}`) });
      log(`models re-scored in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });

  const scheduler: Scheduler = startScheduler({
    clock,
    log,
    pollMs: opts.pollMs,
    jobs: [
      {
        name: 'alerts',
        schedule: () => readRules(opts.dataDir).schedule,
        run: (fireAt) => run({ at: fireAt, trigger: 'schedule' }).then((r) => summarize(r, log)),
      },
      {
        name: 'rescore',
        schedule: () => {
          const rules = readRules(opts.dataDir);
          return rules.rescore.cron ? { cron: rules.rescore.cron, timezone: rules.schedule.timezone } : null;
        },
        run: () => rescore(),
      },
    ],
  });

  return {
    runNow: (o = {}) => run({ ...o, trigger: 'manual' }),
    rescoreNow: rescore,
    nextRuns: () => {
      const n = scheduler.next();
      return { alerts: n.alerts ?? null, rescore: n.rescore ?? null };
    },
    async idle() {
      // A job may queue another (a fire during a run): wait until the queue stops changing.
      for (let q = queue; ; q = queue) {
        await q;
        await new Promise((resolve) => setImmediate(resolve));
        if (q === queue) return;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      scheduler.stop();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), opts.closeTimeoutMs ?? 10_000);
      });
      const outcome = await Promise.race([queue.then(() => 'done' as const), timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') log('stopped while a job was still running; the next start picks up where it left off');
    },
  };
}

function summarize(r: RunResult, log: (line: string) => void): void {
  const sent = r.deliveries.filter((d) => d.outcome === 'sent').length;
  const failed = r.deliveries.filter((d) => d.outcome === 'failed').length;
  log(`run ${r.window}: ${r.newEpisodes} new alerts, ${sent} digests delivered, ${failed} failed (retried next run)`);
}
