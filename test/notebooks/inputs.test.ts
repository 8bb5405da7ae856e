/**
 * Notebooks that lack an optional input are skipped, not failed (issue 15): the metadata that
 * declares the input, where the file is looked for, the message, and the exit code of a run whose
 * notebooks either passed or were skipped. Unit: no kernel, no Jupyter (the runner end to end is in
 * notebooks.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { declaredInputs, inputPath, missingInput, NotebookInputError, type NotebookInput } from '../../notebooks/lib/inputs.ts';
import { exitCode, listNotebooks, summaryLines, type NotebookResult } from '../../notebooks/run.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'crm-notebook-inputs-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const CDNOW: NotebookInput = { name: 'the CDNOW sample', variable: 'CRM_CDNOW_FILE', default: '../shared/data/cdnow/CDNOW_sample.txt' };

describe('declared inputs', () => {
  test('the CLV notebook declares the CDNOW sample; the other two read no file', () => {
    const declared = Object.fromEntries(
      listNotebooks().map((p) => [basename(p), declaredInputs(basename(p), (JSON.parse(readFileSync(p, 'utf8')) as { metadata: unknown }).metadata)]),
    );
    assert.deepEqual(declared['03-clv-cdnow.ipynb'], [CDNOW]);
    assert.deepEqual(declared['01-customers-semantic-api.ipynb'], []);
    assert.deepEqual(declared['02-churn-model-evaluation.ipynb'], []);
  });

  test('bad metadata is refused naming the notebook and the field', () => {
    const meta = (inputs: unknown): unknown => ({ customer_intelligence: { inputs } });
    assert.throws(() => declaredInputs('x.ipynb', meta('file')), (e: Error) => e instanceof NotebookInputError && /^x\.ipynb: metadata customer_intelligence\.inputs must be a list$/.test(e.message));
    assert.throws(() => declaredInputs('x.ipynb', meta([{ ...CDNOW, default: '' }])), /: x\.ipynb: metadata customer_intelligence\.inputs\[0\]\.default must be a non-empty string$/);
    assert.throws(() => declaredInputs('x.ipynb', meta([CDNOW, { name: 'n', default: 'd' }])), /inputs\[1\]\.variable must be a non-empty string$/);
    assert.throws(() => declaredInputs('x.ipynb', meta([{ ...CDNOW, variable: 'CRM_NO_SUCH_FILE' }])), /inputs\[0\]\.variable: CRM_NO_SUCH_FILE is not declared in lib\/config\/schema\.ts$/);
  });
});

describe('where an input is looked for', () => {
  test('the default, relative to the repository root, when the variable is unset or empty', () => {
    const expected = resolve(ROOT, '..', 'shared', 'data', 'cdnow', 'CDNOW_sample.txt');
    assert.equal(inputPath(CDNOW, {}, ROOT), expected);
    assert.equal(inputPath(CDNOW, { CRM_CDNOW_FILE: '' }, ROOT), expected);
  });

  test('the variable when set', () => {
    assert.equal(inputPath(CDNOW, { CRM_CDNOW_FILE: '/data/cdnow.txt' }, ROOT), '/data/cdnow.txt');
  });
});

describe('skipping', () => {
  test('a missing file skips, saying where it was looked for and which variable moves it', () => {
    const absent = join(tmp, 'absent.txt');
    assert.equal(
      missingInput([CDNOW], { CRM_CDNOW_FILE: absent }, ROOT),
      `skipped: the CDNOW sample is not at ${absent} (put it there, or set CRM_CDNOW_FILE to where it is)`,
    );
  });

  test('a present file, or no inputs at all, does not skip', () => {
    const present = join(tmp, 'present.txt');
    writeFileSync(present, '00001 00001 19970101 1 11.77\n');
    assert.equal(missingInput([CDNOW], { CRM_CDNOW_FILE: present }, ROOT), undefined);
    assert.equal(missingInput([], {}, ROOT), undefined);
  });

  test('the first missing of several inputs is named', () => {
    const seen: string[] = [];
    const second: NotebookInput = { name: 'the second file', variable: 'CRM_CDNOW_FILE', default: 'b.txt' };
    const why = missingInput([{ ...CDNOW, default: 'a.txt' }, second], {}, '/r', (p) => (seen.push(p), p === '/r/a.txt'));
    assert.deepEqual(seen, ['/r/a.txt', '/r/b.txt']);
    assert.equal(why, 'skipped: the second file is not at /r/b.txt (put it there, or set CRM_CDNOW_FILE to where it is)');
  });
});

describe('the run', () => {
  const ran: NotebookResult = { notebook: '/n/01-a.ipynb', ok: true, seconds: 2.04 };
  const skipped: NotebookResult = { notebook: '/n/03-clv-cdnow.ipynb', ok: true, seconds: 0, skipped: 'skipped: the CDNOW sample is not at /x (put it there, or set CRM_CDNOW_FILE to where it is)' };
  const failed: NotebookResult = { notebook: '/n/02-b.ipynb', ok: false, seconds: 1, error: 'boom' };

  test('exits 0 when every notebook passed or was skipped, 1 when one failed', () => {
    assert.equal(exitCode([ran, skipped]), 0);
    assert.equal(exitCode([skipped]), 0);
    assert.equal(exitCode([ran, skipped, failed]), 1);
  });

  test('the summary says which were skipped and why', () => {
    assert.deepEqual(summaryLines([ran, skipped, failed]), [
      `ok      ${'01-a.ipynb'.padEnd(40)}    2.0 s`,
      `skipped ${'03-clv-cdnow.ipynb'.padEnd(40)} the CDNOW sample is not at /x (put it there, or set CRM_CDNOW_FILE to where it is)`,
      `FAILED  ${'02-b.ipynb'.padEnd(40)}    1.0 s`,
    ]);
  });
});
