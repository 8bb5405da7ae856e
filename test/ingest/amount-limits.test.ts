/**
 * Amounts near and past what the warehouse stores (Decimal(18, 2): 9,999,999,999,999,999.99) and
 * past 2^53 hundredths, where a double's product loses digits. A file with such rows among good
 * ones: the good rows load with their exact amounts, the ones past the column are rejects naming
 * record, field and limit, and the load does not fail. Before the fix the JS encoder wrote wrong
 * digits (and stale bytes of its reused buffer) for base cents past 2^53 and the whole insert
 * failed with an engine parse error quoting them. Expected amounts are worked out by hand (exact
 * decimal products, rounded half away from zero), not by the code under test.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ingestFile } from '../../ingest/load/job.ts';
import { OutBuffer } from '../../ingest/load/out-buffer.ts';
import { timesRateExact } from '../../ingest/validate/parse-number.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { rows, warehouseWithSchema } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'amount-limits-'));
const LIMIT = 'is past the largest amount the warehouse stores, 9,999,999,999,999,999.99';

describe('amounts past 2^53 hundredths and past the column', () => {
  let tw: TestWarehouse;
  before(async () => {
    tw = await warehouseWithSchema();
  });
  after(async () => {
    await tw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the rows that fit exactly, rejects the ones past the column, names record, field and limit', { timeout: 120_000 }, async () => {
    const file = join(dir, 'big.csv');
    writeFileSync(
      file,
      [
        'source,transaction_id,order_id,customer_ref,order_date,status,amount,currency',
        'big,OK1,O1,C1,2024-01-05 10:00:00,completed,10.00,EUR',
        // 370,370,370,370.37 × 27,000 = 9,999,999,999,999,990.00: just below the column's limit.
        'big,V1,O2,C1,2024-01-05 10:00:00,completed,370370370370.37,VND',
        // 370,370,370,370.38 × 27,000 = 10,000,000,000,000,026.00: just past it.
        'big,V2,O3,C1,2024-01-05 10:00:00,completed,370370370370.38,VND',
        // The report's case: a 13-digit amount at 27,000.
        'big,V3,O4,C2,2024-01-05 10:00:00,completed,1234567890123,VND',
        // 14 digits: past what the amount column is read to.
        'big,V4,O11,C2,2024-01-05 10:00:00,completed,12345678901234.00,VND',
        'big,OK2,O5,C2,2024-01-05 10:00:00,completed,1.00,VND',
        // 38,399,260,146.32 × 2,345.67 = 90,071,992,547,418.4344…: base cents just past 2^53,
        // where the double product is …44 (one cent off).
        'big,X1,O6,C3,2024-01-05 10:00:00,completed,38399260146.32,XAU',
        // 4,263,174,274,301.15 × 2,345.67 = 9,999,999,999,999,978.5205…: below the limit; one cent more is past it.
        'big,X2,O7,C3,2024-01-05 10:00:00,completed,4263174274301.15,XAU',
        'big,X3,O8,C3,2024-01-05 10:00:00,completed,4263174274301.16,XAU',
        // Small rate, large amount: far below the limit, no BigInt needed.
        'big,I1,O9,C4,2024-01-05 10:00:00,completed,9999999999999.99,IDR',
        'big,OK3,O10,C4,2024-01-05 10:00:00,completed,2.50,EUR',
      ].join('\n') + '\n',
    );
    const before = process.env.CRM_INGEST_ENGINE_PARSE;
    process.env.CRM_INGEST_ENGINE_PARSE = 'off';
    let s;
    try {
      s = await ingestFile(tw.warehouse, {
        entity: 'transactions',
        file,
        mapping: { currency: { base: 'EUR', rates: { VND: 27000, XAU: 2345.67, IDR: 0.000057 } } } as never,
        rejectsFile: join(dir, 'big.rejects.csv'),
      });
    } finally {
      if (before === undefined) delete process.env.CRM_INGEST_ENGINE_PARSE;
      else process.env.CRM_INGEST_ENGINE_PARSE = before;
    }
    assert.equal(s.error, undefined);
    assert.equal(s.status, 'completed');
    assert.deepEqual([s.read, s.loaded, s.rejected], [11, 7, 4]);
    assert.deepEqual(
      s.rejects.map((r) => [r.line, r.recordId, r.field, r.reason]),
      [
        [4, 'V2', 'amount', `line 4, field amount: amount 370,370,370,370.38 × rate 27,000 (VND to EUR) ${LIMIT}`],
        [5, 'V3', 'amount', `line 5, field amount: amount 1,234,567,890,123.00 × rate 27,000 (VND to EUR) ${LIMIT}`],
        [6, 'V4', 'amount', 'line 6, field amount: "12345678901234.00" is past the largest amount read, 9,999,999,999,999.99 (13 digits before the decimal separator)'],
        [10, 'X3', 'amount', `line 10, field amount: amount 4,263,174,274,301.16 × rate 2,345.67 (XAU to EUR) ${LIMIT}`],
      ],
    );
    const rejectsCsv = readFileSync(join(dir, 'big.rejects.csv'), 'utf8');
    // Each rejects line carries its own row only: no digits of another row, no NUL or stale bytes.
    assert.ok(![...rejectsCsv].some((ch) => ch.charCodeAt(0) < 9), 'a control byte in the rejects file');
    for (const other of ['370370370370.37', '38399260146.32', '4263174274301.15', '9999999999999.99']) assert.ok(!rejectsCsv.includes(other), `rejects file quotes ${other}`);
    const stored = await rows<{ id: string; amount: string; original: string }>(
      tw.warehouse,
      `SELECT transaction_id AS id, toString(amount) AS amount, toString(original_amount) AS original FROM \`${tw.warehouse.database}\`.transactions FINAL WHERE source = 'big' ORDER BY id`,
    );
    assert.deepEqual(
      Object.fromEntries(stored.map((r) => [r.id, [r.amount, r.original]])),
      {
        I1: ['570000000', '9999999999999.99'],
        OK1: ['10', '10'],
        OK2: ['27000', '1'],
        OK3: ['2.5', '2.5'],
        V1: ['9999999999999990', '370370370370.37'],
        X1: ['90071992547418.43', '38399260146.32'],
        X2: ['9999999999999978.52', '4263174274301.15'],
      },
    );
  });

  it('priced lines (unit price × quantity) past the read limit or, × the rate, past the column are rejects too', { timeout: 120_000 }, async () => {
    const file = join(dir, 'priced.csv');
    writeFileSync(
      file,
      [
        'source,transaction_id,order_id,customer_ref,order_date,status,unit_price,quantity,currency',
        // 999,999,999 × 10,000 = 9,999,999,990,000.00 VND; × 27,000 = 269,999,999,730,000,000.00: past the column.
        'priced,P1,O1,C1,2024-01-05 10:00:00,completed,999999999,10000,VND',
        // 1,000,000 × 10,000,000 = 10,000,000,000,000.00: past what an amount is read to.
        'priced,P2,O2,C1,2024-01-05 10:00:00,completed,1000000,10000000,EUR',
        // 123,456.78 × 3 = 370,370.34 VND; × 27,000 = 9,999,999,180.00.
        'priced,P3,O3,C1,2024-01-05 10:00:00,completed,123456.78,3,VND',
      ].join('\n') + '\n',
    );
    const s = await ingestFile(tw.warehouse, { entity: 'transactions', file, mapping: { currency: { base: 'EUR', rates: { VND: 27000 } } } as never, rejectsFile: false });
    assert.equal(s.error, undefined);
    assert.deepEqual([s.read, s.loaded, s.rejected], [3, 1, 2]);
    assert.deepEqual(
      s.rejects.map((r) => [r.recordId, r.field, r.reason]),
      [
        ['P1', 'amount', `line 2, field amount: amount 9,999,999,990,000.00 × rate 27,000 (VND to EUR) ${LIMIT}`],
        ['P2', 'unit_price', 'line 3, field unit_price: "1000000" × 10000000 is past the largest amount read, 9,999,999,999,999.99'],
      ],
    );
    const stored = await rows<{ amount: string }>(tw.warehouse, `SELECT toString(amount) AS amount FROM \`${tw.warehouse.database}\`.transactions FINAL WHERE source = 'priced'`);
    assert.deepEqual(stored, [{ amount: '9999999180' }]);
  });
});

// Session 13: a sale and its full credit at a rate must cancel to the cent where the base amount
// has a half cent. The encoder rounds cents × rate with Math.round, which takes −12.5 to −12: it is
// safe only because a credit's sign is stripped first (credits.sign) and converted as a magnitude,
// stored with status credit. Expected amounts by hand: 0.25 USD × 0.5 = 12.5 cents → 0.13,
// 0.03 × 0.5 = 1.5 → 0.02, 0.24 × 0.5 = 12 → 0.12. Both parse paths: the engine's takes the
// unsigned amounts (its shape has no sign), the JS path the credit lines.
describe('a credit at a rate rounds half away from zero, as its sale does', () => {
  let tw: TestWarehouse;
  const halfDir = mkdtempSync(join(tmpdir(), 'amount-half-'));
  before(async () => {
    tw = await warehouseWithSchema();
  });
  after(async () => {
    await tw.close();
    rmSync(halfDir, { recursive: true, force: true });
  });

  for (const engine of ['off', 'on']) {
    it(`sale and credit cancel to the cent (engine parse ${engine})`, { timeout: 120_000 }, async () => {
      const src = `half${engine}`;
      const file = join(halfDir, `${src}.csv`);
      writeFileSync(
        file,
        [
          'source,transaction_id,order_id,customer_ref,order_date,status,amount,currency',
          `${src},S1,O1,C1,2024-01-05 10:00:00,completed,0.25,USD`,
          `${src},R1,O1,C1,2024-01-06 10:00:00,completed,-0.25,USD`,
          `${src},S2,O2,C1,2024-01-05 10:00:00,completed,0.03,USD`,
          `${src},R2,O2,C1,2024-01-06 10:00:00,completed,-0.03,USD`,
          `${src},R3,O3,C2,2024-01-06 10:00:00,completed,-0.24,USD`,
        ].join('\n') + '\n',
      );
      const before = process.env.CRM_INGEST_ENGINE_PARSE;
      process.env.CRM_INGEST_ENGINE_PARSE = engine;
      let s;
      try {
        s = await ingestFile(tw.warehouse, { entity: 'transactions', file, mapping: { credits: { sign: true }, currency: { base: 'EUR', rates: { USD: 0.5 } } } as never, rejectsFile: false });
      } finally {
        if (before === undefined) delete process.env.CRM_INGEST_ENGINE_PARSE;
        else process.env.CRM_INGEST_ENGINE_PARSE = before;
      }
      assert.equal(s.error, undefined);
      assert.deepEqual([s.read, s.loaded, s.rejected], [5, 5, 0], JSON.stringify(s.rejects));
      const stored = await rows<{ id: string; amount: string }>(
        tw.warehouse,
        `SELECT transaction_id AS id, concat(status, ' ', toString(amount)) AS amount FROM \`${tw.warehouse.database}\`.transactions FINAL WHERE source = {src:String} ORDER BY id`,
        { src },
      );
      assert.deepEqual(Object.fromEntries(stored.map((r) => [r.id, r.amount])), { R1: 'credit 0.13', R2: 'credit 0.02', R3: 'credit 0.12', S1: 'completed 0.13', S2: 'completed 0.02' });
    });
  }
});

describe('the exact product and the encoder past 2^53', () => {
  it('multiplies by the rate as written, rounding half away from zero', () => {
    assert.equal(timesRateExact(3839926014632, 2345.67), 9007199254741843n);
    assert.equal(timesRateExact(-3839926014632, 2345.67), -9007199254741843n);
    assert.equal(timesRateExact(5, 0.5), 3n); // 2.5 → 3
    assert.equal(timesRateExact(1234567890123456, 1e-7), 123456789n); // 123456789.0123456
    assert.equal(timesRateExact(37037037037038, 27000), 1000000000000026000n);
  });
  it('never writes a value it cannot write exactly (no stale bytes of its buffer)', () => {
    const out = new OutBuffer(64);
    assert.throws(() => out.cents(2 ** 53), RangeError);
    assert.throws(() => out.uint(1e17), RangeError);
    out.cents(Number.MAX_SAFE_INTEGER);
    assert.equal(out.buf.toString('latin1', 0, out.pos), '90071992547409.91');
  });
});
