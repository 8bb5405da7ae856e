/**
 * At start: a scoring run whose process died (killed, crashed, machine restarted) is still
 * `running` in model_runs. Find it, mark it `interrupted` (with where it stopped and how that was
 * found), drop its unpublished rows, log it, and retry it. The published scores stayed in place the
 * whole time, so the retry runs in the background and the product starts without waiting for it.
 */
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { markInterruptedRuns, type Liveness, type ModelRunRecord } from './runs.ts';

export interface RecoverOptions extends Liveness {
  log: (line: string) => void;
  /**
   * Retries the run (production: trainAndScore with retryOf); called at most once, for the newest
   * interrupted run. Unset: the caller retries itself (the first start's training).
   */
  retry?: (retryOf: string) => Promise<unknown>;
}

export interface Recovery {
  interrupted: (ModelRunRecord & { reason: string })[];
  /** The retry, when one was started; resolves true when it published, false when it failed (logged). */
  retried?: Promise<boolean>;
}

/** One line naming the run, where it stopped and why it is taken as dead (also the Models page's notice). */
export function describeInterruption(r: ModelRunRecord & { reason: string }): string {
  return `model run ${r.run_id} (as of ${r.as_of}, started ${r.started_at}) was interrupted in phase ${r.phase}: ${r.reason}`;
}

export async function recoverModelRuns(wh: Warehouse, opts: RecoverOptions): Promise<Recovery> {
  const interrupted = await markInterruptedRuns(wh, opts);
  if (!interrupted.length) return { interrupted };
  for (const r of interrupted) opts.log(`${describeInterruption(r)}; its scores were never published`);
  const retry = opts.retry;
  if (!retry) return { interrupted };
  // Several dead runs (repeated crashes) need one retry: the newest one's.
  const newest = interrupted.reduce((a, b) => (b.started_at > a.started_at ? b : a));
  opts.log(`retrying the model run (as of the current as-of date) in the background; the published scores stay until it publishes`);
  const retried = retry(newest.run_id).then(
    () => true,
    (err: unknown) => {
      opts.log(`the retry of model run ${newest.run_id} failed: ${(err as Error).message}; the worker's next re-score tries again`);
      return false;
    },
  );
  return { interrupted, retried };
}
