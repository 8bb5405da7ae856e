import { describe, expect, test } from 'vitest';
import { runView as run } from './run-fixture.ts';
import { latestNotice, noScoresText, publishedLine } from './run.ts';

describe('model run wording', () => {
  test('the published line names the run, its as-of day and when it switched (UTC)', () => {
    expect(publishedLine(run({}))).toBe('Scores from model run run-20261205-20261206T140501123-a1b2c3 (as of 5 Dec 2026), published 6 Dec 2026, 14:07 UTC');
    expect(publishedLine(run({ retryOf: 'run-old' }))).toMatch(/14:07 UTC; it retried the interrupted run run-old$/);
  });

  test('no notice when the newest run is the published one', () => {
    const p = run({});
    expect(latestNotice({ published: p, latest: p })).toBeUndefined();
    expect(latestNotice({})).toBeUndefined();
  });

  test('an interrupted run is a warning that says it is retried and which scores stay shown', () => {
    const n = latestNotice({ published: run({}), latest: run({ runId: 'run-b', status: 'interrupted', phase: 'churn-scored', startedAt: '2026-12-06T15:00:00Z' }) });
    expect(n?.tone).toBe('warning');
    expect(n?.text).toBe('Model run run-b (started 6 Dec 2026, 15:00 UTC) was interrupted in step churn-scored and is retried at the next start; the scores shown are still those of the published run.');
  });

  test('a failed run carries its detail; a running one is information; without a published run it says none are shown', () => {
    expect(latestNotice({ latest: run({ runId: 'run-c', status: 'failed', detail: 'failed in phase trained: boom' }) })?.text).toContain('failed: failed in phase trained: boom; no scores are shown yet.');
    const n = latestNotice({ published: run({}), latest: run({ runId: 'run-d', status: 'running', phase: 'clv-scored' }) });
    expect(n?.tone).toBe('info');
    expect(n?.text).toContain('is in progress since 6 Dec 2026, 14:05 UTC (step: clv-scored)');
  });

  test('the cockpit without scores says why the newest run failed, else that nothing scored yet', () => {
    const detail =
      'failed in phase started: history too short for the 90-day churn horizon: the first completed order is on 2024-01-01, 74 days before 2024-03-15; a model needs …';
    expect(noScoresText({ latest: run({ status: 'failed', detail }) })).toBe(
      'No churn scores yet: the last model run failed (history too short for the 90-day churn horizon: the first completed order is on 2024-01-01, 74 days before 2024-03-15). The Models and Churn risk pages say what to do.',
    );
    expect(noScoresText(undefined)).toBe('No churn scores yet: the churn model has not scored these customers.');
    // Published scores exist: an empty card is a filter's, not a failure's.
    expect(noScoresText({ published: run({}), latest: run({ status: 'failed', detail }) })).toMatch(/has not scored/);
  });
});
