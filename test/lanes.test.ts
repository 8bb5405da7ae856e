/** test/lanes.mjs: every test file in exactly one lane (listed, else unit), browser tests in e2e. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../lib/config.ts';
import { assignLanes, NODE_TESTS } from './lanes.mjs';

const testFiles = (): string[] =>
  readdirSync(join(PROJECT_ROOT, 'test'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => relative(PROJECT_ROOT, join(PROJECT_ROOT, 'test', f)))
    .sort();

test('every test file of the tree is in exactly one lane', () => {
  const { lanes, problems } = assignLanes(testFiles(), (f) => readFileSync(join(PROJECT_ROOT, f), 'utf8'));
  assert.deepEqual(problems, []);
  assert.equal(Object.values(lanes).flat().length, testFiles().length);
});

test('a file in two lists, a stale entry, or a browser test outside e2e is reported; others are unit tests', () => {
  const integration = NODE_TESTS.integration[0];
  const files = [integration, 'test/new/pure.test.ts', 'test/new/browser.test.ts'];
  // (Spelt in two pieces so that this file's own source does not look like a browser test.)
  const sources: Record<string, string> = {
    'test/new/browser.test.ts': "import { launchChromium } from '../web/" + "browser.ts';",
  };
  NODE_TESTS.e2e.push(integration);
  try {
    const { problems } = assignLanes(files, (f) => sources[f] ?? '');
    assert.ok(problems.includes(`${integration}: in more than one lane (integration, e2e)`), problems.join('\n'));
  } finally {
    NODE_TESTS.e2e.pop();
  }
  const { lanes, problems } = assignLanes(files, (f) => sources[f] ?? '');
  assert.deepEqual(lanes.unit, ['test/new/pure.test.ts']);
  assert.deepEqual(lanes.integration, [integration]);
  assert.ok(
    problems.includes(
      'test/new/browser.test.ts: drives a browser, so it belongs in the e2e list of test/lanes.mjs (it is in unit)',
    ),
    problems.join('\n'),
  );
  assert.ok(problems.includes(`test/lanes.mjs: e2e entry ${NODE_TESTS.e2e[0]} matches no test file`));
});
