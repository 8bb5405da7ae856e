/** test/lanes.mjs: every test file in exactly one lane, browser tests in e2e. */
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

test('a file in no lane, in two, or driving a browser outside e2e is reported', () => {
  const unit = NODE_TESTS.unit[0];
  const integration = NODE_TESTS.integration[0];
  const files = [unit, integration, 'test/new/thing.test.ts'];
  // (Spelt in two pieces so that this file's own source does not look like a browser test.)
  const sources: Record<string, string> = { [unit]: "import { launchChromium } from '../web/" + "browser.ts';" };
  NODE_TESTS.integration.push(unit);
  try {
    const { problems } = assignLanes(files, (f) => sources[f] ?? '');
    assert.ok(problems.includes(`${unit}: in more than one lane (unit, integration)`), problems.join('\n'));
    assert.ok(problems.includes('test/new/thing.test.ts: in no lane (add it to one list in test/lanes.mjs)'));
  } finally {
    NODE_TESTS.integration.pop();
  }
  const { problems } = assignLanes(files, (f) => sources[f] ?? '');
  assert.ok(
    problems.includes(`${unit}: drives a browser, so it belongs in the e2e lane (it is in unit)`),
    problems.join('\n'),
  );
});
