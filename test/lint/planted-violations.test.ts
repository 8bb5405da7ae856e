/**
 * The lint gates bite: files planted in a scratch copy of the layout (never in the working tree,
 * so a concurrent run sees nothing) fail dependency-cruiser and ESLint under the project's own
 * configs (.dependency-cruiser.cjs, eslint.config.js), while a compliant twin passes. Removed after.
 * In-process (their Node APIs), so the unit lane's no-subprocess rule holds.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { ESLint } from 'eslint';
import { PROJECT_ROOT } from '../../lib/config.ts';

let scratch: string;
const plant = (path: string, text: string) => {
  mkdirSync(dirname(join(scratch, path)), { recursive: true });
  writeFileSync(join(scratch, path), text);
};

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'crm-planted-'));
  plant('ingest/identity/normalize.ts', 'export const normalize = (s: string): string => s.trim();\n');
  plant('ingest/index.ts', "export { normalize } from './identity/normalize.ts';\n");
  plant('lib/config.ts', 'export const answer = 42;\n');
  // semantic/ reaching into ingest/: only lib/ is allowed there.
  plant(
    'semantic/planted.ts',
    "import { normalize } from '../ingest/identity/normalize.ts';\nexport const x = normalize(' a ');\n",
  );
  plant('semantic/compliant.ts', "import { answer } from '../lib/config.ts';\nexport const y = answer;\n");
  // web/ past ingest's public entry, and lib/ importing a part.
  plant(
    'web/planted.ts',
    "import { normalize } from '../ingest/identity/normalize.ts';\nexport const z = normalize;\n",
  );
  plant('web/compliant.ts', "import { normalize } from '../ingest/index.ts';\nexport const z = normalize;\n");
  plant('lib/planted.ts', "import { normalize } from '../ingest/index.ts';\nexport const w = normalize;\n");
  // A cycle.
  plant('models/a.ts', "import { b } from './b.ts';\nexport const a = (): number => b() + 1;\n");
  plant('models/b.ts', "import { a } from './a.ts';\nexport const b = (): number => a() - 1;\n");
  // ESLint: an unused variable and an explicit any; the twin is clean.
  plant('bin/planted-lint.ts', 'const unused = 1;\nexport function f(x: any) {\n  return x;\n}\n');
  plant('bin/clean-lint.ts', 'const _kept = 1;\nexport function f(x: unknown) {\n  return x;\n}\n');
});
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('dependency-cruiser (.dependency-cruiser.cjs)', () => {
  let result: ICruiseResult;
  before(async () => {
    const options = await extractDepcruiseOptions(join(PROJECT_ROOT, '.dependency-cruiser.cjs'));
    const out = await cruise(['ingest', 'lib', 'semantic', 'web', 'models'], {
      ...options,
      baseDir: scratch,
      cache: false,
    });
    result = out.output as ICruiseResult;
  });
  const broken = (rule: string) =>
    result.summary.violations.filter((v) => v.rule.name === rule).map((v) => `${v.from} -> ${v.to}`);

  test('a part importing another part fails (layer-imports-only-lib)', () => {
    assert.deepEqual(broken('layer-imports-only-lib'), ['semantic/planted.ts -> ingest/identity/normalize.ts']);
  });
  test("web importing another part's internals fails; its public index.ts passes", () => {
    assert.deepEqual(broken('web-imports-public-entries'), ['web/planted.ts -> ingest/identity/normalize.ts']);
  });
  test('lib importing a part fails', () => {
    assert.deepEqual(broken('lib-imports-no-part'), ['lib/planted.ts -> ingest/index.ts']);
  });
  test('a cycle fails (reported once)', () => {
    assert.deepEqual(broken('no-circular'), ['models/a.ts -> models/b.ts']);
  });
  test('nothing else is reported (the compliant files pass)', () => {
    assert.equal(result.summary.error, 4, JSON.stringify(result.summary.violations, null, 1));
  });
});

describe('ESLint (eslint.config.js)', () => {
  test('an unused variable and an explicit any fail; the clean twin passes', async () => {
    const eslint = new ESLint({ cwd: scratch, overrideConfigFile: join(PROJECT_ROOT, 'eslint.config.js') });
    const results = await eslint.lintFiles(['bin/planted-lint.ts', 'bin/clean-lint.ts']);
    const byFile = Object.fromEntries(
      results.map((r) => [r.filePath.slice(scratch.length + 1), r.messages.map((m) => m.ruleId)]),
    );
    assert.deepEqual(byFile, {
      'bin/planted-lint.ts': ['@typescript-eslint/no-unused-vars', '@typescript-eslint/no-explicit-any'],
      'bin/clean-lint.ts': [],
    });
  });
});
