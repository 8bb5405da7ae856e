// The test lanes: which test file runs in which lane, and the checks that keep the lists right.
// Read by test/run.mjs (npm test, npm run test:unit|test:integration|test:e2e).
//
//   unit         pure tests: no embedded warehouse, no Cube, no web app, no browser, no child
//                process, no listening socket (test/lanes-unit-guard.mjs refuses them at run time),
//                plus the dashboard's vitest specs and the lint steps (ESLint, dependency-cruiser).
//   integration  tests that start the engine, a server or another process (tsc, docker-compose, CLIs).
//   e2e          the browser tests (anything driving chromium) and the whole-product suites:
//                test/web/e2e*, test/security/, the notebooks.
//
// A test file is in the unit lane unless a list below names it (paths from the repository root;
// one ending in `/` takes the whole folder). So a new pure test needs nothing here, and a new test
// that starts the engine, a server, a process or a browser fails in the unit lane, saying to list
// it under integration or e2e. `npm test` refuses to run while a file is in both lists, a list
// names a file that does not exist, or a file that drives a browser is outside e2e.

export const LANES = ['unit', 'integration', 'e2e'];

/** The test files of the integration and e2e lanes; every other test file is a unit test. */
export const NODE_TESTS = {
  integration: [
    'test/alerts/as-of.test.ts',
    'test/alerts/lapsed.test.ts',
    'test/alerts/model-line.test.ts', // the digest's model line from a stored card, a real run to the outbox
    'test/alerts/deals-digest.test.ts', // a deals-only digest over a real SMTP server, on the embedded engine
    'test/alerts/delivery.test.ts',
    'test/alerts/worker.test.ts',
    'test/deploy/compose.test.ts', // docker-compose config
    'test/ingest/cdnow-load.test.ts', // the CDNOW sample into an embedded warehouse
    'test/ingest/cli.test.ts',
    'test/ingest/consents.test.ts', // consent events: file, HTTP, current consent on the embedded engine
    'test/ingest/crash.test.ts',
    'test/ingest/demo-load.test.ts',
    'test/ingest/demo.test.ts', // the demo CLI as a child process
    'test/ingest/detect-cli.test.ts', // the detect CLI as a child process
    'test/ingest/detect-load.test.ts', // detect's drafts loaded into the engine, answered by a real Cube; the detect CLI
    'test/ingest/exports-sweep.test.ts', // Xero, QuickBooks, Pipedrive, Zendesk exports through detect's drafts, answered by a real Cube
    'test/ingest/exports-refunds-sweep.test.ts', // Shopify order refunds, multi-currency Xero (and the rest of the third sweep) through detect's drafts, answered by a real Cube
    'test/ingest/entities.test.ts',
    'test/ingest/http-connections.test.ts', // a push while the given client's connections are all taken
    'test/ingest/http-parts.test.ts', // the ingest HTTP server on a loopback port, against fakes
    'test/ingest/http.test.ts',
    'test/ingest/idempotence.test.ts',
    'test/ingest/identity.test.ts',
    'test/ingest/load-internals.test.ts',
    'test/ingest/malformed.test.ts',
    'test/ingest/reference-id.test.ts', // reference_id named by a CSV header, an NDJSON or HTTP record's key, on the embedded engine
    'test/ingest/mapping.test.ts',
    'test/ingest/opportunity-deal-fields.test.ts',
    'test/ingest/parquet.test.ts',
    'test/ingest/parse-worker.test.ts', // worker-thread parsing against the job thread's, on the embedded engine
    'test/ingest/placeholders.test.ts', // customers from facts alone, on the embedded engine
    'test/ingest/payload-paths.test.ts', // HTTP bodies and local-file inserts store the same rows and rejects
    'test/ingest/engine-parse.test.ts', // the engine path for local CSV files stores what the JS path stores
    'test/ingest/amount-limits.test.ts', // amounts past 2^53 hundredths and past Decimal(18, 2) loaded or rejected (real chDB)
    'test/ingest/rejects-formula.test.ts',
    'test/lib/access.test.ts',
    'test/lib/migrations.test.ts',
    'test/lib/decimal-quantity-migration.test.ts', // migration 024 on a warehouse the code before it wrote
    'test/lib/owner-projections-migration.test.ts', // migration 025: owners read their share through the projection
    'test/ingest/decimal-quantity.test.ts', // Xero/QuickBooks exports with hours through detect, the load and Cube
    'test/ingest/order-totals-load.test.ts', // line-level exports with order totals through detect's drafts, the load and Cube
    'test/lib/privacy/erase.test.ts', // erasure and subject access on the engine, through the ingest jobs
    'test/lib/privacy/export-scope.test.ts', // subject access names no namesake or co-listed customer, on the engine
    'test/lib/privacy/retention.test.ts', // retention TTLs on the embedded engine
    'test/lib/webhook-redirect.test.ts', // a webhook receiver and an "internal" server on loopback ports
    'test/lib/warehouse/data-dir-modes.test.ts',
    'test/lib/warehouse/data-dir-ownership.test.ts',
    'test/lib/warehouse/embedded-server.test.ts',
    'test/lib/warehouse/privileges.test.ts',
    'test/lib/warehouse/server-fidelity.test.ts',
    'test/lib/warehouse/session-lanes.test.ts', // the endpoint's lanes on a real engine
    'test/models/churn/card-pages.test.ts',
    'test/models/churn/demo.test.ts',
    'test/models/churn/feature-ranges.test.ts', // features read in ranges of ids against the views, on the embedded engine
    'test/models/churn/features.test.ts',
    'test/models/churn/forest.test.ts', // a child process (tsx script)
    'test/models/churn/model.test.ts',
    'test/models/churn/old-data.test.ts', // the CDNOW sample in the embedded engine
    'test/models/churn/reasons-cdnow.test.ts', // the CDNOW sample in the embedded engine
    'test/models/scoring/clv-purchase-days.test.ts', // the CDNOW sample and two same-day-order customers in the embedded engine
    'test/models/churn/short-history.test.ts', // short and small histories trained in the embedded engine
    'test/models/winloss/demo.test.ts', // a 4,000-customer demo in the embedded engine, two win/loss runs
    'test/models/scoring/atomic-publish.test.ts', // `npm run models -- score` child processes killed mid-run; a real Cube
    'test/models/scoring/lapsed-band-migration.test.ts', // migration 020 on a real engine
    'test/models/scoring/lapsed-band-card-window.test.ts', // migration 022 on a real engine
    'test/models/scoring/clv-card.test.ts', // CLV scoring on CDNOW writes the card the Models page reads, on the embedded engine
    'test/models/scoring/score-workers.test.ts', // scoring on worker threads against this thread's, on the embedded engine
    'test/semantic/answer-cache.test.ts', // Cube's answer cache: owners' own rows, data-version refresh keys, a load renews
    'test/semantic/answer-cache-shared.test.ts', // the answer cache shared across users in front of Cube: scopes, bad tokens, a load shows
    'test/semantic/api-errors.test.ts',
    'test/semantic/as-of-refresh.test.ts',
    'test/semantic/auth.test.ts', // `npm run token` as a child process
    'test/semantic/auto-refresh.test.ts',
    'test/semantic/campaign-id-match.test.ts', // campaign ids holding LIKE wildcards in the segment rule, real Cube
    'test/semantic/cdnow.test.ts',
    'test/semantic/consent.test.ts', // consent members and the segments' consent filter on the fixture, real Cube
    'test/semantic/credit-lines.test.ts', // credit lines through ingest and the derived tables, incremental against full, real engine
    'test/semantic/data-version-scratch.test.ts', // the data version on a real engine: the ingest's scratch tables left out
    'test/semantic/deal-risk.test.ts', // the win/loss cubes on a real Cube, planted scores
    'test/semantic/derived-background.test.ts', // the worker's refresher through backgroundClient against a plain full rebuild, real ingest jobs
    'test/semantic/derived-copy.test.ts', // migration 018's customer-ordered copy of transactions: fill, resume, view, TTL
    'test/semantic/incremental-refresh.test.ts', // incremental derived tables against a full rebuild, real ingest jobs
    'test/semantic/limits.test.ts', // a silent upstream on a loopback port
    'test/semantic/lapsed-agreement.test.ts', // churn page queries, a real Cube and the alerts on one lapsed count
    'test/semantic/model.test.ts',
    'test/semantic/one-answer.test.ts', // a real Cube waiting for a slow query
    'test/semantic/period-retention.test.ts', // period retention on the fixture through a real Cube
    'test/semantic/reporting-timezone.test.ts', // boundary orders with the engine in Tokyo: derived tables and Cube in UTC
    'test/semantic/rfm-recency.test.ts', // RFM segments against each buyer's recency, real ingest jobs and engine
    'test/semantic/security.test.ts',
    'test/semantic/tables-read.test.ts', // answers keyed by the tables they read: read sets against Cube's SQL, writes on a real Cube
    'test/typecheck.test.ts', // tsc and svelte-check
    'test/web/build-lock.test.ts', // real processes (a dead and a live owner) hold the dashboard's build lock
    'test/web/campaign-push.test.ts',
    'test/web/static-guard.test.ts', // adapter-node's real handler from a copy of web/build, on a loopback port
    'test/web/previous-assets.test.ts', // earlier builds' chunks from temp build folders, on a loopback port
    'test/web/cube-proxy.test.ts', // the proxy and a fake Cube on loopback ports
    'test/web/users-cli.test.ts',
  ],
  e2e: [
    'test/notebooks/notebooks.test.ts',
    'test/security/',
    'test/web/alert-rules.test.ts',
    'test/web/audit.test.ts', // the audit log: every audited action once on the whole stack
    'test/web/privacy.test.ts', // erasure on the whole stack: planted through every path, erased from the Privacy page
    'test/web/cdnow-as-of.test.ts', // npm start (bin/start.ts) on the CDNOW sample alone, chromium on its cockpit
    'test/web/consent.test.ts', // consent on the 360 page (events, audit rows, owner checks) and profiling consent in scoring
    'test/web/e2e.test.ts',
    'test/web/rebuild-open-tab.test.ts', // chromium on a dashboard across a real rebuild and a restart
    'test/web/dev-port-env.test.ts', // the dashboard server (its real build) with CRM_WEB_DEV_PORT in the environment
    'test/web/responsive.test.ts', // every page at 1366 and 768 px per role: screenshots and geometry; date fields; churn chart vs Cube
    'test/web/metrics.test.ts', // the metric dictionary: KPI labels and values, the (i), Definitions, one value at risk
    'test/web/segments.test.ts',
    'test/web/winloss.test.ts', // issue 18: drivers panel, drill-down causes, /pipeline, 360 deals against Cube; owner scope
  ],
};

/** Does a list entry take this file? */
const takes = (entry, file) => (entry.endsWith('/') ? file.startsWith(entry) : file === entry);

/** Signs in a test file's source that it drives a browser: such a file belongs in e2e. */
const BROWSER = /from ['"]([^'"]*\/web\/browser\.ts|\.\/browser\.ts|playwright(-core)?)['"]/;

/**
 * Assigns every test file to exactly one lane: its list's, else unit.
 * @param {string[]} files test files, relative to the repository root
 * @param {(file: string) => string} read the file's source (for the browser check)
 * @returns {{ lanes: Record<string, string[]>, problems: string[] }}
 */
export function assignLanes(files, read) {
  const lanes = Object.fromEntries(LANES.map((l) => [l, []]));
  const problems = [];
  for (const file of files) {
    const listed = Object.keys(NODE_TESTS).filter((lane) => NODE_TESTS[lane].some((entry) => takes(entry, file)));
    const lane = listed[0] ?? 'unit';
    if (listed.length > 1) problems.push(`${file}: in more than one lane (${listed.join(', ')})`);
    else if (lane !== 'e2e' && BROWSER.test(read(file)))
      problems.push(`${file}: drives a browser, so it belongs in the e2e list of test/lanes.mjs (it is in ${lane})`);
    else lanes[lane].push(file);
  }
  for (const [lane, entries] of Object.entries(NODE_TESTS))
    for (const entry of entries)
      if (!files.some((f) => takes(entry, f)))
        problems.push(`test/lanes.mjs: ${lane} entry ${entry} matches no test file`);
  return { lanes, problems };
}
