import { Snapshots } from '../../../../lib/accounts/account-snapshots.ts';
import { qualified } from '../../../../lib/warehouse/sql.ts';
import { getWebContext } from '../server/context.ts';
import type { ModelRunStatus, RunStatus, RunView } from './run.ts';

interface Row {
  run_id: string;
  status: RunStatus;
  phase: string;
  as_of: string;
  started_at: string;
  updated_at: string;
  churn_model_version: string;
  clv_model_version: string;
  retry_of: string;
  detail: string;
}

const view = (r: Row): RunView => ({
  runId: r.run_id,
  status: r.status,
  phase: r.phase,
  asOf: r.as_of,
  startedAt: r.started_at,
  updatedAt: r.updated_at,
  churnModelVersion: r.churn_model_version,
  clvModelVersion: r.clv_model_version,
  retryOf: r.retry_of,
  detail: publicDetail(r.detail),
});

/**
 * What a page may show of a run's stored detail ("failed in phase X: <the error's first line>"):
 * the churn page is every role's, and a warehouse exception, a file path or a statement describes
 * the system to whoever reads it (lib/server/errors.ts). Those keep the "failed in phase X" part and
 * point to the log, where the scoring run logged the whole error.
 */
const SYSTEM_TEXT = /Code: \d+\.|DB::Exception|\b(SELECT|INSERT INTO|ALTER TABLE|CREATE TABLE)\b|(^|[\s'"(=])\/[\w.-]+\/|\b[A-Z]:\\|\.(ts|js|mjs|cjs):\d+|\bat [\w.<>$]+ \(|node_modules|E[A-Z]{3,}:/;
function publicDetail(detail: string): string {
  if (!SYSTEM_TEXT.test(detail)) return detail;
  const cut = detail.indexOf(': ');
  return `${cut > 0 ? detail.slice(0, cut) : 'failed'} (the error is in the product log)`;
}

/**
 * The published model run and the newest run (migration 014's `model_runs`), read with the
 * dashboard's own warehouse client like the model card. Run metadata holds no customer data, so
 * every role that sees scores may see it.
 */
export async function modelRunStatus(): Promise<ModelRunStatus> {
  const db = getWebContext().warehouse;
  const table = db.database ? qualified(db.database, 'model_runs') : 'model_runs';
  const columns = `run_id, status, phase, toString(as_of) AS as_of,
    formatDateTime(started_at, '%Y-%m-%dT%H:%i:%sZ', 'UTC') AS started_at,
    formatDateTime(updated_at, '%Y-%m-%dT%H:%i:%sZ', 'UTC') AS updated_at,
    churn_model_version, clv_model_version, retry_of, detail`;
  // The same published-run rule as the _current views: the newest published row.
  const rs = await db.client.query({
    query: `SELECT 'published' AS which, ${columns} FROM ${table} FINAL
        WHERE status = 'published' AND run_id = (SELECT argMax(run_id, (updated_at, run_id)) FROM ${table} WHERE status = 'published')
      UNION ALL
      SELECT 'latest' AS which, ${columns} FROM (SELECT * FROM ${table} FINAL ORDER BY started_at DESC, run_id DESC LIMIT 1)`,
    format: 'JSONEachRow',
  });
  const rows = await rs.json<Row & { which: 'published' | 'latest' }>();
  const published = rows.find((r) => r.which === 'published');
  const latest = rows.find((r) => r.which === 'latest');
  return { published: published ? view(published) : undefined, latest: latest ? view(latest) : undefined };
}

const STATUS_KEY = Symbol.for('customer-intelligence.web.model-run-status');

/**
 * modelRunStatus for the cockpit, read at most once every 2 s for all page views (Snapshots: the
 * last status answers while the next is read, up to 5 s old). The cockpit only names the published
 * run's day in its score cards' notes; a page view asked the warehouse for it every time, one of
 * its three engine statements under 50 users (issue 17). The churn and model pages read it fresh.
 * One per warehouse connection (test stacks run one dashboard after another in a process).
 */
export function sharedModelRunStatus(): Promise<ModelRunStatus> {
  const { client } = getWebContext().warehouse;
  const holder = globalThis as { [STATUS_KEY]?: WeakMap<object, Snapshots<ModelRunStatus>> };
  const all = (holder[STATUS_KEY] ??= new WeakMap());
  let status = all.get(client);
  if (!status) all.set(client, (status = new Snapshots(modelRunStatus)));
  return status.get().then((s) => s.snapshot);
}
