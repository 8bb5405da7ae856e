#!/usr/bin/env node
// Runs the test suite in three lanes, in this order (test/lanes.mjs says which file is in which):
//   unit         ESLint, dependency-cruiser, the dashboard's vitest specs, the pure node tests
//   integration  node tests that start the embedded warehouse, Cube, servers or other processes
//   e2e          the browser and whole-product tests
// and ends with one line, `N passed, N failed`, summing every lane.
//
// Usage: npm test [-- filter …]                    all lanes
//        npm run test:unit [-- filter …]           one lane (also test:integration, test:e2e)
//        node test/run.mjs --lane unit --lane e2e  several
// A filter keeps the test files (test/**/*.test.ts, web/src/**/*.spec.ts) whose path contains it;
// `lint` keeps the lint steps (`eslint`, `depcruise`, `prettier`: one of them). e.g. npm test -- ingest
//
// Node test files run under node's own runner (Node 20 has no --test globbing), one at a time in
// the integration and e2e lanes (each starts its own embedded engine; two would fight over cores).
// The dashboard's production build (web/build) is made once, before the e2e lane's files that
// serve the dashboard: they then find it current (web/server/build.ts's staleness check) instead
// of the first of them building it inside its own setup.
// System packages (chromium, jupyter, docker-compose) are not installed here: bin/setup-system.sh
// does that (.ci/run calls it); the tests that need one say so and skip when it is missing.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { assignLanes, LANES } from './lanes.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const here = (file) => pathToFileURL(join(root, 'test', file)).href;

const args = process.argv.slice(2);
const chosen = [];
const filters = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--lane') chosen.push(args[++i]);
  else if (args[i].startsWith('--lane=')) chosen.push(args[i].slice('--lane='.length));
  else filters.push(args[i]);
}
for (const lane of chosen)
  if (!LANES.includes(lane)) {
    console.error(`unknown lane ${lane}: one of ${LANES.join(', ')}`);
    process.exit(2);
  }
const lanesToRun = chosen.length > 0 ? LANES.filter((l) => chosen.includes(l)) : LANES;
const matches = (path) => filters.length === 0 || filters.some((f) => path.includes(f));

function walk(dir, suffix) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) return [];
    return statSync(path).isDirectory() ? walk(path, suffix) : name.endsWith(suffix) ? [path] : [];
  });
}
const rel = (files) => files.map((f) => relative(root, f)).sort();

// Every test file in exactly one lane, checked on the whole tree whatever the filter.
const { lanes, problems } = assignLanes(rel(walk(join(root, 'test'), '.test.ts')), (f) =>
  readFileSync(join(root, f), 'utf8'),
);
if (problems.length > 0) {
  console.error(`test/lanes.mjs does not match the test files:\n  ${problems.join('\n  ')}`);
  // A whole run refuses to start. A filtered one (someone working on a few files while a colleague's
  // new test is not listed yet) goes on without the unlisted files; test/lanes.test.ts still fails.
  if (filters.length === 0) process.exit(1);
  console.error('(going on with the files that are listed, because of the filter)');
}
const specs = rel(walk(join(root, 'web', 'src'), '.spec.ts'));

const scratch = mkdtempSync(join(tmpdir(), 'crm-test-run-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
const env = { ...process.env, NODE_NO_WARNINGS: '1' };

/** Runs a command to its end: its exit code and how long it took. */
function run(command, args, stdio, cwd = root) {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio, env });
    child.on('error', (error) => {
      console.error(`${command}: ${error.message}`);
      resolve({ code: 1, seconds: (performance.now() - started) / 1000 });
    });
    child.on('close', (code) => resolve({ code: code ?? 1, seconds: (performance.now() - started) / 1000 }));
  });
}

/**
 * A lint step (one check: passed or failed). Started at the beginning of the unit lane beside the
 * tests, its output kept in a file and printed once the tests are done, so the two do not mix.
 */
function lintStep(name, script) {
  const log = join(scratch, `${name}.log`);
  const fd = openSync(log, 'w');
  return run('npm', ['run', '-s', script], ['ignore', fd, fd]).then(({ code, seconds }) => {
    closeSync(fd);
    return { name, code, seconds, script, output: readFileSync(log, 'utf8') };
  });
}

/** The dashboard's vitest specs, run by vitest itself (its own output, counts from its JSON report). */
async function vitestStep(only) {
  console.log(`\n▶ vitest: web/src/**/*.spec.ts (npm run test:web)`);
  const out = join(scratch, 'vitest.json');
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  // A fresh clone has no web/.svelte-kit yet, and the specs' tsconfig extends the one it generates.
  const sync = await run('npx', ['svelte-kit', 'sync'], 'inherit', join(root, 'web'));
  if (sync.code !== 0) return { name: 'vitest', seconds: sync.seconds, passed: 0, failed: 1, skipped: 0 };
  const { code, seconds } = await run(
    process.execPath,
    [
      vitest,
      'run',
      '--config',
      'web/vitest.config.ts',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${out}`,
      ...only,
    ],
    'inherit',
  );
  const report = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : {};
  const step = {
    name: 'vitest',
    seconds,
    passed: report.numPassedTests ?? 0,
    failed: report.numFailedTests ?? 0,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  };
  if (code !== 0 && step.failed === 0) step.failed = 1; // failed outside a test (a spec file that does not load)
  return step;
}

/**
 * Test files that serve the dashboard: a product stack (test/web/stack.ts) or `npm start`
 * (bin/start.ts). Each builds web/build when it is stale; the runner builds it for them first.
 */
const SERVES_DASHBOARD = /from '(\.\/|\.\.\/web\/)stack\.ts'|'bin\/start\.ts'/;

/** web/build made current once (ensureWebBuild: a `vite build` when missing or older than its sources). */
async function webBuildStep() {
  console.log('\n▶ web build: web/build for the suites that serve the dashboard (built when missing or stale)');
  const build = pathToFileURL(join(root, 'web', 'server', 'build.ts')).href;
  const script =
    `const { ensureWebBuild } = await import(${JSON.stringify(build)});` +
    `const r = await ensureWebBuild({ log: (line) => console.log(line) });` +
    `console.log(r.built ? 'web/build rebuilt' : 'web/build current: reused');`;
  const { code, seconds } = await run(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    'inherit',
  );
  return { name: 'web build', seconds, passed: +(code === 0), failed: +(code !== 0), skipped: 0 };
}

/** Node test files under node's runner: the spec reporter on stdout, the counts to a file. */
async function nodeStep(lane, files) {
  console.log(`\n▶ node --test: ${files.length} file(s)`);
  const out = join(scratch, `${lane}-counts.json`);
  const { code, seconds } = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      ...(lane === 'unit' ? ['--import', here('lanes-unit-guard.mjs')] : []),
      '--test',
      // Unit files share nothing and start nothing: as many at a time as there are cores.
      `--test-concurrency=${lane === 'unit' ? availableParallelism() : 1}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${here('lanes-reporter.mjs')}`,
      `--test-reporter-destination=${out}`,
      ...files,
    ],
    'inherit',
  );
  const t = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8') || '{}') : {};
  const step = {
    name: 'node --test',
    seconds,
    passed: t.pass ?? 0,
    // A cancelled test (its file crashed, a hook failed, a timeout) did not pass.
    failed: (t.fail ?? 0) + (t.cancelled ?? 0),
    skipped: (t.skipped ?? 0) + (t.todo ?? 0),
  };
  if (code !== 0 && step.failed === 0) step.failed = 1;
  return step;
}

const LINT = [
  ['eslint', 'lint'],
  ['depcruise', 'lint:deps'],
  ['prettier', 'format:check'],
];
const lintWanted = (name, script) =>
  filters.length === 0 || filters.some((f) => f === 'lint' || f === name || f === script);

const results = [];
for (const lane of lanesToRun) {
  const files = lanes[lane].filter(matches);
  const laneSpecs = lane === 'unit' ? specs.filter(matches) : [];
  const lint = lane === 'unit' ? LINT.filter(([name, script]) => lintWanted(name, script)) : [];
  if (files.length === 0 && laneSpecs.length === 0 && lint.length === 0) continue;
  console.log(`\n━━ ${lane} lane ━━`);
  if (lane === 'e2e' && !existsSync('/usr/bin/chromium'))
    console.log('(no /usr/bin/chromium: the browser tests will skip; bin/setup-system.sh installs it)');
  const started = performance.now();
  const linting = Promise.all(lint.map(([name, script]) => lintStep(name, script)));
  const steps = [];
  // The whole spec set unfiltered; else the matching spec files (vitest takes them as filters).
  if (laneSpecs.length > 0) steps.push(await vitestStep(filters.length === 0 ? [] : laneSpecs));
  let runnable = files;
  if (lane === 'e2e' && files.some((f) => SERVES_DASHBOARD.test(readFileSync(join(root, f), 'utf8')))) {
    const build = await webBuildStep();
    steps.push(build);
    // Without a build, each of those files would try again and fail the same way, slowly.
    if (build.failed > 0) runnable = files.filter((f) => !SERVES_DASHBOARD.test(readFileSync(join(root, f), 'utf8')));
  }
  if (runnable.length > 0) steps.push(await nodeStep(lane, runnable));
  const linted = await linting;
  for (const { name, code, script, output } of linted) {
    console.log(`\n▶ ${name} (npm run ${script}): ${code === 0 ? 'ok' : 'FAILED'}`);
    if (output.trim()) console.log(output.trimEnd());
  }
  steps.unshift(
    ...linted.map(({ name, code, seconds }) => ({
      name,
      seconds,
      passed: +(code === 0),
      failed: +(code !== 0),
      skipped: 0,
    })),
  );
  results.push({ lane, steps, seconds: (performance.now() - started) / 1000 });
}
if (results.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

const sum = (xs, key) => xs.reduce((n, x) => n + x[key], 0);
const secs = (s) => `${s.toFixed(1)} s`;
console.log('\n━━ lanes ━━');
for (const { lane, steps, seconds } of results) {
  const detail = steps.map((s) => `${s.name} ${s.passed}/${s.failed} ${secs(s.seconds)}`).join(', ');
  const skipped = sum(steps, 'skipped');
  console.log(
    `${lane.padEnd(12)} ${sum(steps, 'passed')} passed, ${sum(steps, 'failed')} failed` +
      `${skipped ? `, ${skipped} skipped` : ''} in ${secs(seconds)}  (${detail}; passed/failed)`,
  );
}
const all = results.flatMap((r) => r.steps);
const failed = sum(all, 'failed');
console.log(`${sum(all, 'passed')} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
