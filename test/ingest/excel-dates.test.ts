/**
 * Spreadsheet serial dates (a CSV saved from Excel writes 45292 for 2024-01-01, 45351.75 for
 * 2024-02-29 18:00): the `excel` date format, detect's guess under a date header, and the reject's
 * hint when the mapping does not say it. Anchors are Excel's documented serials.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dryRun } from '../../ingest/detect/dry-run.ts';
import { guessDateFormat } from '../../ingest/detect/guess-date.ts';
import { proposeMapping } from '../../ingest/detect/propose-mapping.ts';
import { readSample } from '../../ingest/detect/read-sample.ts';
import { dateFormatProblem } from '../../ingest/validate/check-date.ts';
import { compileDateFormat } from '../../ingest/validate/parse-date.ts';
import { fixture } from './helpers.ts';

const at = (v: string): number | undefined => {
  const p = { epochSeconds: NaN } as Parameters<ReturnType<typeof compileDateFormat>>[3];
  const b = Buffer.from(v);
  return compileDateFormat('excel')(b, 0, b.length, p) ? p.epochSeconds : undefined;
};
const utc = (iso: string): number => Date.parse(`${iso}Z`) / 1000;

describe('the excel date format', () => {
  const known: [string, string][] = [
    ['61', '1900-03-01T00:00:00'],
    ['36526', '2000-01-01T00:00:00'],
    ['45292', '2024-01-01T00:00:00'],
    ['45351.75', '2024-02-29T18:00:00'],
    ['44197.5', '2021-01-01T12:00:00'],
    ['45292.999988426', '2024-01-01T23:59:59'],
  ];
  for (const [v, iso] of known) it(`${v} → ${iso}`, () => assert.equal(at(v), utc(iso)));
  for (const v of ['60', '2024-01-01', '45292,5', '-45292', '99999999']) it(`"${v}" is refused`, () => assert.equal(at(v), undefined));
  it('detect proposes it only under a header that says time, for five-digit serials', () => {
    assert.equal(guessDateFormat(['45292', '45293.5', '45320'], { allowEpoch: true })?.format, 'excel');
    assert.equal(guessDateFormat(['45292', '45293', '45320'], { allowEpoch: false }), undefined);
    assert.equal(guessDateFormat(['12345', '45293'], { allowEpoch: true }), undefined);
  });
  it('without it, the reject names the mapping key', () => {
    assert.match(dateFormatProblem('45292', false, 'YYYY-MM-DD HH:MM:SS or ISO 8601', 'order_date'), /"dates": \{"order_date": "excel"\}/);
  });
});

describe('detect: orders saved from a spreadsheet with serial dates', () => {
  it('the unedited draft loads every row on the day the serial names', async () => {
    const file = fixture('exports/excel-serial-dates.csv');
    const draft = proposeMapping(await readSample(file));
    assert.equal(draft.mapping.dates?.order_date, 'excel');
    const run = await dryRun(file, draft.entity, draft.mapping, { previewRows: 10 });
    assert.deepEqual(run.rejects, []);
    assert.deepEqual(
      run.preview.map((r) => r.order_date),
      ['2024-01-01 00:00:00', '2024-01-02 12:00:00', '2024-01-29 00:00:00', '2024-02-29 18:00:00', '2024-03-29 00:00:00'],
    );
  });
});
