/**
 * Cron schedules in a time zone (croner), and a small scheduler driven by an injectable Clock.
 *
 * croner computes fire times (DST-aware: "0 7 * * *" in America/New_York is 12:00 UTC in winter and
 * 11:00 UTC in summer); the waiting is ours, so tests move a manual clock instead of sleeping, and
 * the rules file can change the schedule while the worker runs.
 */
import { Cron } from 'croner';
import type { Clock } from './clock.ts';

export interface CronSchedule {
  cron: string;
  timezone: string;
}

function cronOf(s: CronSchedule): Cron {
  return new Cron(s.cron, { timezone: s.timezone, paused: true, mode: '5-or-6-parts' });
}

/** The first fire time strictly after `after`, or null when the expression never fires again. */
export function nextFire(s: CronSchedule, after: Date): Date | null {
  const job = cronOf(s);
  try {
    return job.nextRun(after);
  } finally {
    job.stop();
  }
}

/** The next `n` fire times strictly after `after`. */
export function nextFireTimes(s: CronSchedule, after: Date, n: number): Date[] {
  const job = cronOf(s);
  try {
    return job.nextRuns(n, after);
  } finally {
    job.stop();
  }
}

/** The last fire time at or before `at`, or null if there is none within croner's search range. */
export function lastFire(s: CronSchedule, at: Date): Date | null {
  const job = cronOf(s);
  try {
    // previousRuns excludes the reference itself: look from 1 ms later so a fire at exactly `at` counts.
    return job.previousRuns(1, new Date(at.getTime() + 1))[0] ?? null;
  } finally {
    job.stop();
  }
}

/** The last fire time on a calendar day (YYYY-MM-DD) of the schedule's own zone, or null. */
export function lastFireOnDay(s: CronSchedule, day: string): Date | null {
  const job = cronOf(s);
  try {
    // A string reference is read in the job's time zone.
    const found = job.previousRuns(1, `${day}T23:59:59`)[0] ?? null;
    return found && formatDay(found, s.timezone) === day ? found : null;
  } finally {
    job.stop();
  }
}

/** YYYY-MM-DD of an instant in a zone. */
export function formatDay(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** "2024-03-10 07:00 America/New_York" */
export function formatInZone(at: Date, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${timezone}`;
}

/** "daily at 07:00 UTC" for the common shape, else the expression itself. */
export function describeSchedule(s: CronSchedule): string {
  const m = /^(\d{1,2}) (\d{1,2}) \* \* \*$/.exec(s.cron.trim());
  if (m) return `daily at ${m[2].padStart(2, '0')}:${m[1].padStart(2, '0')} ${s.timezone}`;
  return `"${s.cron}" (${s.timezone})`;
}

export interface ScheduledJob {
  name: string;
  /** The job's schedule now (read on every tick, so edits apply); null disables it. May throw (bad rules file). */
  schedule(): CronSchedule | null;
  /** Runs one fire; `fireAt` is the scheduled instant (not the possibly later moment it ran). */
  run(fireAt: Date): Promise<unknown>;
}

export interface SchedulerOptions {
  clock: Clock;
  jobs: ScheduledJob[];
  log?: (line: string) => void;
  /** Longest sleep between two looks at the schedules (default 60 s): bounds how late an edited schedule is noticed. */
  pollMs?: number;
}

export interface Scheduler {
  /** Next fire time per job (null: disabled or never). */
  next(): Record<string, Date | null>;
  /** Stops the timers; a job already running is not interrupted (await its own promise). */
  stop(): void;
}

interface JobState {
  key: string;
  next: Date | null;
  busy: boolean;
  error: string;
}

/**
 * Fires each job at its cron times. A fire missed while the process slept or was busy with the same
 * job is not repeated: after a run the next fire is computed from the later of now and the fire time
 * (so a clock jump over three fire times runs the job once). A job never runs twice at once.
 */
export function startScheduler(opts: SchedulerOptions): Scheduler {
  const { clock, jobs } = opts;
  const log = opts.log ?? (() => {});
  const pollMs = opts.pollMs ?? 60_000;
  const states = new Map<string, JobState>(jobs.map((j) => [j.name, { key: '', next: null, busy: false, error: '' }]));
  let timer: unknown;
  let stopped = false;

  const refresh = (job: ScheduledJob, state: JobState, now: Date): CronSchedule | null => {
    let s: CronSchedule | null;
    try {
      s = job.schedule();
      state.error = '';
    } catch (err) {
      const message = (err as Error).message;
      if (message !== state.error) log(`${job.name}: schedule unavailable, not firing: ${message}`);
      state.error = message;
      state.key = '';
      state.next = null;
      return null;
    }
    const key = s ? `${s.cron}\u0000${s.timezone}` : '';
    if (key !== state.key) {
      state.key = key;
      state.next = s ? nextFire(s, now) : null;
      log(`${job.name}: ${s ? `${describeSchedule(s)}, next at ${state.next?.toISOString() ?? 'never'}` : 'disabled'}`);
    }
    return s;
  };

  const tick = (): void => {
    if (stopped) return;
    const now = clock.now();
    for (const job of jobs) {
      const state = states.get(job.name)!;
      const s = refresh(job, state, now);
      if (!s || !state.next || now.getTime() < state.next.getTime()) continue;
      const fireAt = state.next;
      state.next = nextFire(s, new Date(Math.max(now.getTime(), fireAt.getTime())));
      if (state.busy) {
        log(`${job.name}: the run for ${fireAt.toISOString()} is skipped, the previous run is still going`);
        continue;
      }
      state.busy = true;
      void job
        .run(fireAt)
        .catch((err: Error) => log(`${job.name}: run for ${fireAt.toISOString()} failed: ${err.message}`))
        .finally(() => {
          state.busy = false;
        });
    }
    arm();
  };

  const arm = (): void => {
    if (stopped) return;
    const now = clock.now().getTime();
    let wait = pollMs;
    for (const state of states.values()) if (state.next) wait = Math.min(wait, Math.max(0, state.next.getTime() - now));
    timer = clock.setTimer(wait, tick);
  };

  tick();
  return {
    next: () => Object.fromEntries([...states].map(([name, s]) => [name, s.next])),
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimer(timer);
    },
  };
}
