/**
 * A published model run as the specs of run.ts and ModelRunStatus.svelte start from: one fixture,
 * so both read the same run and a change to RunView is made once. Spec-only (nothing imports it).
 */
import type { RunView } from './run.ts';

export const runView = (over: Partial<RunView> = {}): RunView => ({
  runId: 'run-20261205-20261206T140501123-a1b2c3',
  status: 'published',
  phase: 'published',
  asOf: '2026-12-05',
  startedAt: '2026-12-06T14:05:01Z',
  updatedAt: '2026-12-06T14:07:30Z',
  churnModelVersion: 'churn-x',
  clvModelVersion: 'clv-x',
  retryOf: '',
  detail: '',
  ...over,
});
