/**
 * Which model run the scores on a page come from (issue 17, item 7): the published run (id, when it
 * switched, as of which day) and, when the newest run did not publish, what happened to it. Read
 * by run.server.ts from `model_runs` (migration 014); worded here so the churn page, the Models
 * page and the spec share one text.
 */
import { formatDate, formatDateTime } from '../format/format.ts';

export type RunStatus = 'running' | 'published' | 'failed' | 'interrupted';

export interface RunView {
  runId: string;
  status: RunStatus;
  phase: string;
  asOf: string;
  startedAt: string;
  updatedAt: string;
  churnModelVersion: string;
  clvModelVersion: string;
  retryOf: string;
  detail: string;
}

export interface ModelRunStatus {
  /** The run whose scores every page shows; undefined before the first publish. */
  published?: RunView;
  /** The newest run, when it is not the published one (running, failed or interrupted). */
  latest?: RunView;
}

/** "Scores from model run run-… (as of 5 Dec 2026), published 6 Dec 2026, 14:05 UTC" (+ the run it retried). */
export function publishedLine(run: RunView): string {
  const retried = run.retryOf ? `; it retried the interrupted run ${run.retryOf}` : '';
  return `Scores from model run ${run.runId} (as of ${formatDate(run.asOf)}), published ${formatDateTime(run.updatedAt)}${retried}`;
}

/**
 * What the newest run did when it is not the one shown, or undefined: a run in progress, one that
 * failed, one that was interrupted (the start retries those). The published scores stay shown.
 */
export function latestNotice(status: ModelRunStatus): { tone: 'info' | 'warning'; text: string } | undefined {
  const run = status.latest;
  if (!run || run.runId === status.published?.runId) return undefined;
  const keep = status.published ? 'the scores shown are still those of the published run' : 'no scores are shown yet';
  if (run.status === 'running') {
    return { tone: 'info', text: `Model run ${run.runId} is in progress since ${formatDateTime(run.startedAt)} (step: ${run.phase}); ${keep} until it publishes.` };
  }
  if (run.status === 'interrupted') {
    return { tone: 'warning', text: `Model run ${run.runId} (started ${formatDateTime(run.startedAt)}) was interrupted in step ${run.phase} and is retried at the next start; ${keep}.` };
  }
  if (run.status === 'failed') {
    return { tone: 'warning', text: `Model run ${run.runId} (started ${formatDateTime(run.startedAt)}) failed: ${run.detail || 'no detail'}; ${keep}.` };
  }
  return undefined;
}

/**
 * The cockpit's churn card when no scores are published: why, when the newest run failed (its
 * detail's first clause: "history too short for the 90-day churn horizon: … 74 days before …"),
 * so a new user with a short history is not left guessing.
 */
export function noScoresText(status: ModelRunStatus | undefined): string {
  const run = status?.latest;
  if (!status?.published && run?.status === 'failed' && run.detail) {
    const why = run.detail.replace(/^failed in phase [\w-]+: /, '').split('; ')[0];
    return `No churn scores yet: the last model run failed (${why}). The Models and Churn risk pages say what to do.`;
  }
  return 'No churn scores yet: the churn model has not scored these customers.';
}
