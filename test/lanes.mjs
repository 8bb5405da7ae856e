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
// A new test file goes in exactly one list below; `npm test` refuses to run while a file is in
// none or in two. Entries are paths relative to the repository root; one ending in `/` takes the
// whole folder.

export const LANES = ['unit', 'integration', 'e2e'];

export const NODE_TESTS = {
  unit: [
    'test/alerts/units.test.ts',
    'test/ingest/parsing.test.ts',
    'test/ingest/table-layout.test.ts',
    'test/ingest/tsv-values.test.ts',
    'test/ingest/validate-fields.test.ts',
    'test/lanes.test.ts',
    'test/lib/config.test.ts',
    'test/lib/csv/escape-cell.test.ts',
    'test/lib/webhook.test.ts',
    'test/lib/warehouse/insert-chunks.test.ts',
    'test/lib/warehouse/sql-scan.test.ts',
    'test/lib/warehouse/sql.test.ts',
    'test/lib/warehouse/sql.test.ts',
    'test/lint/planted-violations.test.ts',
    'test/models/churn/definition.test.ts',
    'test/models/churn/explain.test.ts',
    'test/models/churn/metrics.test.ts',
    'test/models/churn/reasons.test.ts',
    'test/models/clv/',
    'test/notebooks/lib.test.ts',
    'test/semantic/errors.test.ts',
    'test/semantic/model-files.test.ts',
  ],
  integration: [
    'test/alerts/delivery.test.ts',
    'test/alerts/worker.test.ts',
    'test/deploy/compose.test.ts', // docker-compose config
    'test/ingest/cli.test.ts',
    'test/ingest/crash.test.ts',
    'test/ingest/demo-load.test.ts',
    'test/ingest/demo.test.ts', // the demo CLI as a child process
    'test/ingest/entities.test.ts',
    'test/ingest/http-parts.test.ts', // the ingest HTTP server on a loopback port, against fakes
    'test/ingest/http.test.ts',
    'test/ingest/idempotence.test.ts',
    'test/ingest/identity.test.ts',
    'test/ingest/malformed.test.ts',
    'test/ingest/mapping.test.ts',
    'test/ingest/parquet.test.ts',
    'test/ingest/rejects-formula.test.ts',
    'test/lib/access.test.ts',
    'test/lib/migrations.test.ts',
    'test/lib/warehouse/data-dir-modes.test.ts',
    'test/lib/warehouse/data-dir-ownership.test.ts',
    'test/lib/warehouse/embedded-server.test.ts',
    'test/lib/warehouse/privileges.test.ts',
    'test/lib/warehouse/server-fidelity.test.ts',
    'test/models/churn/demo.test.ts',
    'test/models/churn/features.test.ts',
    'test/models/churn/forest.test.ts', // a child process (tsx script)
    'test/models/churn/model.test.ts',
    'test/semantic/api-errors.test.ts',
    'test/semantic/auth.test.ts', // `npm run token` as a child process
    'test/semantic/auto-refresh.test.ts',
    'test/semantic/limits.test.ts', // a silent upstream on a loopback port
    'test/semantic/model.test.ts',
    'test/semantic/security.test.ts',
    'test/typecheck.test.ts', // tsc and svelte-check
    'test/web/campaign-push.test.ts',
    'test/web/cube-proxy.test.ts', // the proxy and a fake Cube on loopback ports
    'test/web/users-cli.test.ts',
  ],
  e2e: [
    'test/notebooks/notebooks.test.ts',
    'test/security/',
    'test/web/alert-rules.test.ts',
    'test/web/e2e.test.ts',
    'test/web/segments.test.ts',
  ],
};

/** Does a list entry take this file? */
const takes = (entry, file) => (entry.endsWith('/') ? file.startsWith(entry) : file === entry);

/** Signs in a test file's source that it drives a browser: such a file belongs in e2e. */
const BROWSER = /from ['"]([^'"]*\/web\/browser\.ts|\.\/browser\.ts|playwright(-core)?)['"]/;

/**
 * Assigns every test file to its lane.
 * @param {string[]} files test files, relative to the repository root
 * @param {(file: string) => string} read the file's source (for the browser check)
 * @returns {{ lanes: Record<string, string[]>, problems: string[] }}
 */
export function assignLanes(files, read) {
  const lanes = Object.fromEntries(LANES.map((l) => [l, []]));
  const problems = [];
  for (const file of files) {
    const found = LANES.filter((lane) => NODE_TESTS[lane].some((entry) => takes(entry, file)));
    if (found.length === 0) problems.push(`${file}: in no lane (add it to one list in test/lanes.mjs)`);
    else if (found.length > 1) problems.push(`${file}: in more than one lane (${found.join(', ')})`);
    else if (found[0] !== 'e2e' && BROWSER.test(read(file)))
      problems.push(`${file}: drives a browser, so it belongs in the e2e lane (it is in ${found[0]})`);
    else lanes[found[0]].push(file);
  }
  for (const lane of LANES)
    for (const entry of NODE_TESTS[lane])
      if (!files.some((f) => takes(entry, f)))
        problems.push(`test/lanes.mjs: ${lane} entry ${entry} matches no test file`);
  return { lanes, problems };
}
