/**
 * Fourth security review: patterns run on values a source system (or an ingest token's holder)
 * controls must not take super-linear time. A value that took quadratic time in a pattern is here
 * at a size that ran for minutes before the fix (the test's timeout fails it), with the answer it
 * must give.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PHONE_CHARS, normalizePhone } from '../../ingest/identity/normalize-phone.ts';

test('a phone field of many spaces is no phone number', () => {
  // Before the fix these took 5–20 CPU-s each (the extension pattern's leading \s* tried at every
  // position: quadratic); a synchronous pattern cannot be timed out, so the size is kept where a
  // regression slows the suite instead of hanging it. The test below is the one that fails.
  const spaces = ' '.repeat(60_000);
  assert.equal(normalizePhone(`1${spaces}x${spaces}a`, 'DE'), '');
  assert.equal(normalizePhone(`+1${spaces}${spaces}a`, 'DE'), '');
  assert.equal(normalizePhone(`00${spaces}1${'-'.repeat(60_000)}a`, 'DE'), '');
});

test('an over-long value is no phone number, even with a phone number in it', () => {
  assert.equal(normalizePhone(`+49 30 1234567${' '.repeat(MAX_PHONE_CHARS)}x`, 'DE'), '');
  // Real numbers in every writing the importer knows still match (the limit is far above them).
  assert.equal(normalizePhone('+49 (0)30 1234 5678 ext. 1234', 'DE'), '+493012345678');
  assert.equal(normalizePhone(`   030/1234567   `, 'DE'), '+49301234567');
});

test('detect: a cell of "(", a letter and many spaces is read in linear time (eighth review)', { timeout: 300_000 }, async () => {
  // The accounting-negative pattern was quadratic in a cell's spaces: 16,000 took 0.7 s, so this
  // cell (detect reads 1 MB of a file) about 7 minutes on the review machine, and now a
  // millisecond. A synchronous pattern cannot be interrupted in this thread, so it runs in a
  // worker that is stopped after a minute — a margin of hundreds of times either way.
  const { Worker } = await import('node:worker_threads');
  // tsx registered through its API first: node 20 does not apply --import tsx to a worker's modules.
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.tsx).then((m) => { m.register(); return import(workerData.module); }).then(({ withMinusForParens }) => {
      const cell = '(a' + ' '.repeat(400000) + 'x';
      parentPort.postMessage([withMinusForParens(cell) === cell, withMinusForParens('( 1,234.50 )'), withMinusForParens('($85.00)'), withMinusForParens('(-5)')]);
    });`;
  const module = new URL('../../ingest/detect/guess-number.ts', import.meta.url).href;
  const worker = new Worker(source, { eval: true, workerData: { module, tsx: import.meta.resolve('tsx/esm/api') }, execArgv: [] });
  const answer = await new Promise<unknown>((resolve, reject) => {
    const stop = setTimeout(() => void worker.terminate().then(() => reject(new Error('withMinusForParens did not answer within 60 s'))), 60_000);
    worker.once('message', (m) => {
      clearTimeout(stop);
      void worker.terminate();
      resolve(m);
    });
    worker.once('error', reject);
  });
  assert.deepEqual(answer, [true, '-1,234.50', '-$85.00', '(-5)']);
});
