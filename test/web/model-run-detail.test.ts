/**
 * The model-run notice (issue 17) is on the churn page, which every role opens, and in its
 * __data.json. A failed run's stored detail is the error's first line: when that is a warehouse
 * exception, a file path or a statement, it describes the system to whoever reads the page — the
 * rule of web/src/lib/server/errors.ts (a sentence for the user, the details in the log). Pure: the
 * warehouse client is a stand-in answering the rows model_runs would hold.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setWebContext, type WebContext } from '../../web/src/lib/server/context.ts';
import { modelRunStatus } from '../../web/src/lib/models/run.server.ts';
import { latestNotice } from '../../web/src/lib/models/run.ts';

const row = (which: 'published' | 'latest', over: Record<string, string>) => ({
  which,
  run_id: `run-${which}`,
  status: 'published',
  phase: 'published',
  as_of: '2026-12-05',
  started_at: '2026-12-06T10:00:00Z',
  updated_at: '2026-12-06T10:05:00Z',
  churn_model_version: 'v1',
  clv_model_version: 'v1',
  retry_of: '',
  detail: '',
  ...over,
});

function serve(detail: string): void {
  const rows = [row('published', {}), row('latest', { status: 'failed', phase: 'churn-scored', detail })];
  const client = { query: async () => ({ json: async () => rows }) };
  setWebContext({ warehouse: { client, database: 'crm' } } as unknown as WebContext);
}
after(() => setWebContext(undefined));

/** What an attacker may not read on a page (the attack suite's list, test/security/attacks.test.ts). */
const LEAKS: [string, RegExp][] = [
  ['a stack frame', /\bat [\w.<>$]+ \(|\n\s+at /],
  ['a server path', /\/work\/|\/home\/|\/var\/|node_modules|\/tmp\/|\.(ts|js|mjs):\d+/],
  ['generated SQL', /\bSELECT\b[\s\S]*\bFROM\b|\bINSERT INTO\b/i],
  ['a ClickHouse exception', /Code: \d+\.|DB::Exception/],
];

test("a failed run's warehouse error, path or SQL does not reach the page; the phase and that it failed do", async () => {
  const details = [
    'failed in phase churn-scored: Code: 241. DB::Exception: Memory limit (total) exceeded: would use 3.52 GiB (attempt to allocate chunk of 4194304 bytes), maximum: 3.47 GiB. (MEMORY_LIMIT_EXCEEDED) (version 24.3.1.1)',
    "failed in phase trained: ENOENT: no such file or directory, open '/var/lib/crm/data/models/churn/card.json'",
    'failed in phase churn-scored: Cannot parse input: expected \'"\' before: INSERT INTO crm.churn_scores_runs SELECT customer_id FROM crm.features_churn',
  ];
  for (const detail of details) {
    serve(detail);
    const status = await modelRunStatus();
    const shown = JSON.stringify(status) + (latestNotice(status)?.text ?? '');
    for (const [name, re] of LEAKS) assert.doesNotMatch(shown, re, `the page data shows ${name}: ${shown}`);
    assert.match(latestNotice(status)?.text ?? '', /run-latest .*failed: failed in phase (churn-scored|trained)\b/);
  }
});

test('a plain detail (the run was stopped, a step gave up) is shown as it is', async () => {
  serve('failed in phase churn-scored: stopped by the test');
  assert.match(latestNotice(await modelRunStatus())?.text ?? '', /failed: failed in phase churn-scored: stopped by the test; the scores shown are still those of the published run/);
});
