// The consent entity's validation (issue 16, item 1), pure: rows go through the load's own mapping
// compiler and row encoder (no engine); each bad row is rejected naming its record and field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consents } from '../../ingest/entities/consents.ts';
import { Batch } from '../../ingest/load/batch.ts';
import { RowEncoder } from '../../ingest/load/row-encoder.ts';
import { compileMapping } from '../../ingest/mapping/compile.ts';
import { RecordsReader } from '../../ingest/sources/records-reader.ts';
import { hasConsent } from '../../lib/consent/purposes.ts';

const ID = Buffer.from('C-000000000001');
const good = {
  source: 'prefs',
  consent_id: 'K1',
  customer_ref: 'C1',
  purpose: 'marketing_email',
  status: 'granted',
  occurred_at: '2024-01-10 09:00:00',
};

function encode(
  records: Record<string, unknown>[],
  env?: Record<string, string>,
): { ok: boolean[]; rejects: { line: number; recordId: string; field: string; reason: string }[] } {
  const saved = process.env.CRM_CONSENT_PURPOSES;
  if (env?.CRM_CONSENT_PURPOSES) process.env.CRM_CONSENT_PURPOSES = env.CRM_CONSENT_PURPOSES;
  try {
    const mapping = compileMapping(consents, {}, {});
    const encoder = new RowEncoder(mapping, 1, 'b1', { idFor: () => ID });
    const batch = new Batch(encoder.layout.keyColumns.length, 16, 1 << 14);
    const reader = new RecordsReader(records, mapping);
    const ok = records.map((r, i) => encoder.encode(reader.rowOf(r, i), batch));
    return {
      ok,
      rejects: batch.rejects.map((r) => ({ line: r.line, recordId: r.recordId, field: r.field, reason: r.reason })),
    };
  } finally {
    if (saved === undefined) delete process.env.CRM_CONSENT_PURPOSES;
    else process.env.CRM_CONSENT_PURPOSES = saved;
  }
}

describe('consent events: validation', () => {
  it('a complete event is accepted; purpose and status match case-insensitively', () => {
    const r = encode([good, { ...good, consent_id: 'K2', purpose: 'Profiling', status: 'WITHDRAWN' }]);
    assert.deepEqual(r.ok, [true, true]);
    assert.deepEqual(r.rejects, []);
  });

  const bad: [string, Record<string, unknown>, string, RegExp][] = [
    [
      'unknown purpose',
      { ...good, purpose: 'newsletter' },
      'purpose',
      /"newsletter" is not one of: marketing_email, marketing_sms, marketing_phone, profiling/,
    ],
    [
      'status other than granted/withdrawn',
      { ...good, status: 'maybe' },
      'status',
      /"maybe" is not one of: granted, withdrawn/,
    ],
    ['no customer', { ...good, customer_ref: '' }, 'customer_ref', /required|missing|empty/i],
    ['impossible date', { ...good, occurred_at: '2024-13-40' }, 'occurred_at', /not a date/],
    ['no time', { ...good, occurred_at: '' }, 'occurred_at', /required|missing|empty/i],
  ];
  for (const [name, record, field, reason] of bad) {
    it(`rejects: ${name}, naming the record and the field`, () => {
      const r = encode([record]);
      assert.deepEqual(r.ok, [false]);
      assert.equal(r.rejects.length, 1, JSON.stringify(r.rejects));
      assert.equal(r.rejects[0].line, 1);
      assert.equal(r.rejects[0].recordId, 'K1');
      assert.equal(r.rejects[0].field, field);
      assert.match(r.rejects[0].reason, reason);
    });
  }

  it('the purposes come from CRM_CONSENT_PURPOSES', () => {
    const r = encode(
      [
        { ...good, purpose: 'newsletter' },
        { ...good, consent_id: 'K2', purpose: 'marketing_sms' },
      ],
      { CRM_CONSENT_PURPOSES: 'newsletter,profiling' },
    );
    assert.deepEqual(r.ok, [true, false]);
    assert.match(r.rejects[0].reason, /"marketing_sms" is not one of: newsletter, profiling/);
  });
});

describe('consent rule for a customer without an event', () => {
  const cases: [string, 'granted' | 'withdrawn' | undefined, 'granted' | 'denied', boolean][] = [
    ['marketing_email', undefined, 'granted', false],
    ['marketing_email', 'granted', 'denied', true],
    ['marketing_email', 'withdrawn', 'granted', false],
    ['profiling', undefined, 'granted', true],
    ['profiling', undefined, 'denied', false],
    ['profiling', 'withdrawn', 'granted', false],
    ['profiling', 'granted', 'denied', true],
  ];
  for (const [purpose, latest, dflt, expected] of cases) {
    it(`${purpose}, newest ${latest ?? 'none'}, profiling default ${dflt} → ${expected}`, () => {
      assert.equal(hasConsent(purpose, latest, { profilingDefault: dflt }), expected);
    });
  }
});
