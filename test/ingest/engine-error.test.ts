/**
 * An insert the engine cannot parse: its error quotes the payload (neighbouring rows, and whatever
 * bytes were there). The message kept for the batch log, the summary and HTTP answers names the
 * reason, row and column only. The sample is the engine's message from the load that found the
 * 2^53 bug (the JS path on HEAD 3ee242b, test/ingest/amount-limits.test.ts), shortened.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withoutPayload } from '../../ingest/load/engine-error.ts';

const ENGINE = [
  "Cannot parse input: expected '\\t' before: 'VND\\t1\\t\\t\\t\\t\\tC-0M8QSGYTN4D1\\t781002430158828\\t1796674787891\\t20261207201947-9774bef0\\nbig\\tV3\\tO4\\tC2\\t1704448800\\tcompleted33333333033321000.00\\t1234567890123.00\\tVND': (at row 3)",
  ': ',
  'Row 2:',
  'Column 0,   name: source,            type: LowCardinality(String), parsed text: "big"',
  'Column 1,   name: transaction_id,    type: String,                 parsed text: "V1"',
  'Column 6,   name: amount,            type: Decimal(18, 2),         parsed text: "9999999999999990.00"',
  '',
  'Row 3:',
  'Column 0,   name: source,            type: LowCardinality(String), parsed text: "big"',
  'Column 5,   name: status,            type: LowCardinality(String), parsed text: "completed33333333033321000<DOT>00"ERROR',
  "licatio/99\u0000\u0000",
].join('\n');

describe('an engine parse error without the payload it quotes', () => {
  it('keeps the reason, the row and the column; drops every quoted value', () => {
    const m = withoutPayload(ENGINE);
    assert.equal(m, "the warehouse refused the insert: Cannot parse input (at row 3 of the insert, column status (LowCardinality(String))); the engine's quote of the payload is left out, as it holds other rows' data");
    for (const leaked of ['V1', 'V3', 'C-0M8QSGYTN4D1', '9999999999999990', '1234567890123', 'licatio', '\u0000']) assert.ok(!m.includes(leaked), `kept ${leaked}`);
  });
  it('leaves other errors as they are', () => {
    const refused = "Code: 469. DB::Exception: Constraint `no_boom` for table crm.transactions is violated at row 40. Expression: (transaction_id != 'BOOM')";
    assert.equal(withoutPayload(refused), refused);
    assert.equal(withoutPayload('connect ECONNREFUSED 127.0.0.1:8123'), 'connect ECONNREFUSED 127.0.0.1:8123');
  });
});
