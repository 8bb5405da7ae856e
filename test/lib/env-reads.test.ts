// Every environment variable is declared once, with its default and meaning, in
// lib/config/schema.ts (issue 12, item 4). This scans the product's source (not the tests) and
// fails on a read of a variable the schema does not declare, and on a module taking the whole
// process.env (a default argument, a spread) outside the few commented exceptions listed below.
// Pure: reads files, starts nothing.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../lib/config.ts';
import { VARIABLES } from '../../lib/config/schema.ts';

const DECLARED = new Set(Object.keys(VARIABLES));

/**
 * Files that may use process.env as a whole (a default argument, a spread, a dynamic key), with why.
 * lib/config.ts and lib/config/ are the schema's own readers and are not scanned.
 */
const WHOLE_ENV: Record<string, string> = {
  'web/server/build.ts': 'passes the environment on to the `vite build` child process',
  'models/bench/real.ts': 'hands the environment (PATH, PYTHONPATH) on to the scikit-learn ceiling child process, with OMP_NUM_THREADS=1',
  'models/bench/clv-real.ts': 'hands the environment (PATH, PYTHONPATH) on to the scipy cross-check child process, with OMP_NUM_THREADS=1',
  'web/src/lib/segments/push.server.ts': 'pushConfig() parses process.env through configFrom() by default (SvelteKit server code has no entry point of ours)',
  'ingest/mapping/compile.ts': 'compileMapping() parses process.env through configFrom() when the caller passes no env',
  'notebooks/run.ts': 'the notebooks CLI entry, and the environment handed on to the Jupyter child process',
  'notebooks/lib/project.ts': 'runs in the notebook kernel (tslab, CommonJS): cannot import the ESM schema',
  'notebooks/lib/semantic.ts': 'runs in the notebook kernel (tslab, CommonJS): cannot import the ESM schema',
  'semantic/server.ts': "hands Node's own PATH, HOME, TMPDIR, TZ, LANG on to the Cube child process",
  'bench/load.ts': 'the bench entry: reads its configuration with the data directory overridden, and hands the environment on to the `npm start` child process it measures',
  'lib/privacy/tombstone.ts': 'privacyKey() parses process.env through loadConfig() when the caller passes no env (the CLI and the dashboard share it)',
  'web/src/routes/(app)/privacy/+page.server.ts': 'SvelteKit server code has no entry point of ours: the tombstone key is read through loadConfig() from process.env',
  'web/src/routes/(app)/privacy/admin-warehouse.server.ts': 'SvelteKit server code has no entry point of ours: the administrator connection is parsed through loadWarehouseConfig() from process.env',
};

/** Undeclared names a file may read through an env object: they are another program's variables. */
const FOREIGN_NAMES: Record<string, string[]> = {
  // Jupyter's own search path, extended (not replaced) for the Jupyter child process.
  'notebooks/run.ts': ['JUPYTER_PATH'],
};

const SOURCE = /\.(ts|js|mjs|cjs|svelte|ipynb)$/;
const NOT_PRODUCT = /\.(test|spec)\.(ts|js)$/;
// web/builds holds the dashboard's compiled builds (web/build links to the newest): generated code, not ours.
const SKIP_DIRS = new Set(['node_modules', 'test', 'test-artifacts', 'build', 'builds', 'dist']);

function productFiles(dir = PROJECT_ROOT): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // Dot folders and files: .git, .svelte-kit, the data directory, scratch space, tool configs.
    if (entry.name.startsWith('.') || SKIP_DIRS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    const rel = relative(PROJECT_ROOT, path).split(sep).join('/');
    if (rel === 'lib/config' || rel === 'lib/config.ts') continue;
    if (entry.isDirectory()) out.push(...productFiles(path));
    else if (SOURCE.test(entry.name) && !NOT_PRODUCT.test(entry.name)) out.push(rel);
  }
  return out;
}

/** Comments blanked (line numbers kept), so a variable named in prose is not a read. */
function withoutComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (block) => block.replace(/[^\n]/g, ' '))
    .replace(/(^|[\s;{}(),])\/\/.*$/gm, '$1');
}

interface EnvUse {
  line: number;
  /** The variable, when the code names it (process.env.X, process.env['X'], env.X, env?.X). */
  name?: string;
  /** The whole of process.env: a default argument, a spread, a dynamic key. */
  whole: boolean;
}

/** Every use of the environment in one source text. */
function envUses(text: string): EnvUse[] {
  const code = withoutComments(text);
  const lineOf = (index: number): number => code.slice(0, index).split('\n').length;
  const uses: EnvUse[] = [];
  for (const m of code.matchAll(/\bprocess\s*\.\s*env\b(\s*\??\.\s*([A-Za-z_]\w*)|\s*\[\s*(['"`])([A-Za-z_]\w*)\3\s*\])?/g)) {
    const name = m[2] ?? m[4];
    uses.push({ line: lineOf(m.index ?? 0), name, whole: name === undefined });
  }
  // Reads through an env object handed down (env.X, baseEnv.X, cubeEnv?.X): upper-case names only,
  // which is how every variable is spelled; `process.env.X` was counted above.
  for (const m of code.matchAll(/(?<!\w)(?<!\bprocess\s*\.\s*)\w*[eE]nv\s*\??\.\s*([A-Z][A-Z0-9_]+)\b/g)) {
    uses.push({ line: lineOf(m.index ?? 0), name: m[1], whole: false });
  }
  return uses;
}

/** Problems in one file, as "file:line: …" lines. */
function check(file: string, text: string): string[] {
  const problems: string[] = [];
  for (const use of envUses(text)) {
    if (use.whole && !WHOLE_ENV[file]) {
      problems.push(
        `${file}:${use.line}: uses process.env as a whole: take a Config (lib/config/schema.ts) from the entry point, ` +
          'or add the file to WHOLE_ENV in test/lib/env-reads.test.ts with a comment in the code saying why',
      );
    }
    if (use.name && !DECLARED.has(use.name) && !FOREIGN_NAMES[file]?.includes(use.name)) {
      problems.push(`${file}:${use.line}: reads ${use.name}, which lib/config/schema.ts does not declare: add it there (then \`npm run config:docs\`)`);
    }
  }
  return problems;
}

test('the scan finds undeclared reads and whole-environment uses, and skips comments', () => {
  const planted = [
    '// process.env.IN_A_COMMENT is prose',
    '/* process.env.IN_A_BLOCK */ const a = process.env.CRM_WEB_PORT;',
    "const b = process.env['CRM_NOT_DECLARED'];",
    'const c = env?.ALSO_NOT_DECLARED ?? opts.env.CRM_DATA_DIR;',
    'export function f(env = process.env) {}',
    "const url = 'http://host:1' + process.env.THIRD_ONE;",
  ].join('\n');
  assert.deepEqual(envUses(planted), [
    { line: 2, name: 'CRM_WEB_PORT', whole: false },
    { line: 3, name: 'CRM_NOT_DECLARED', whole: false },
    { line: 5, name: undefined, whole: true },
    { line: 6, name: 'THIRD_ONE', whole: false },
    { line: 4, name: 'ALSO_NOT_DECLARED', whole: false },
    { line: 4, name: 'CRM_DATA_DIR', whole: false },
  ]);
  const problems = check('alerts/planted.ts', planted);
  assert.equal(problems.length, 4, problems.join('\n'));
  assert.match(problems[0], /^alerts\/planted\.ts:3: reads CRM_NOT_DECLARED, which lib\/config\/schema\.ts does not declare/);
  assert.match(problems[1], /^alerts\/planted\.ts:5: uses process\.env as a whole/);
  assert.match(problems[2], /^alerts\/planted\.ts:6: reads THIRD_ONE/);
  assert.match(problems[3], /^alerts\/planted\.ts:4: reads ALSO_NOT_DECLARED/);
  // The same whole-environment use is allowed in a listed file.
  assert.deepEqual(check('notebooks/run.ts', 'export function main(env = process.env) {}'), []);
});

test('the product reads only variables the schema declares, and process.env as a whole only where listed', () => {
  const files = productFiles();
  // The walk must reach the parts, or this test would pass on nothing.
  for (const expected of ['alerts/config.ts', 'web/server.ts', 'semantic/server.ts', 'notebooks/02-churn-model-evaluation.ipynb']) {
    assert.ok(files.includes(expected), `${expected} not scanned`);
  }
  const problems = files.flatMap((file) => check(file, readFileSync(join(PROJECT_ROOT, file), 'utf8')));
  assert.deepEqual(problems, []);
});

test('every allow-list entry is still needed', () => {
  const read = (file: string): string => readFileSync(join(PROJECT_ROOT, file), 'utf8');
  for (const file of Object.keys(WHOLE_ENV)) {
    assert.ok(envUses(read(file)).some((u) => u.whole), `${file} no longer uses process.env as a whole: remove it from WHOLE_ENV`);
  }
  for (const [file, names] of Object.entries(FOREIGN_NAMES)) {
    for (const name of names) {
      assert.ok(envUses(read(file)).some((u) => u.name === name), `${file} no longer reads ${name}: remove it from FOREIGN_NAMES`);
    }
  }
});
