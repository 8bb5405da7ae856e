/**
 * The deal fields issue 18's win/loss model needs (discount_pct, lead_source, contacts_met): they
 * load when present, are NULL / empty when a file lacks them (old exports keep loading), and a bad
 * value is rejected naming the line, the record and the field.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ingestFile } from '../../ingest/index.ts';
import type { TestWarehouse } from '../support/warehouse.ts';
import { rows, warehouseWithSchema } from './helpers.ts';

describe('opportunities: discount, lead source and contacts met', () => {
  let tw: TestWarehouse;
  const dir = mkdtempSync(join(tmpdir(), 'deal-fields-'));
  before(async () => {
    tw = await warehouseWithSchema();
  });
  after(() => tw.close());

  it('loads them, keeps unknown as NULL, rejects out-of-range values by record and field', async () => {
    const file = join(dir, 'opps.csv');
    writeFileSync(
      file,
      [
        'source,opportunity_id,customer_ref,status,created_at,amount,discount_pct,lead_source,contacts_met',
        'crm,D1,C1,won,2024-01-02,1000,12.5,referral,3',
        'crm,D2,C1,lost,2024-01-03,500,,,', // unknown: NULL, '', NULL
        'crm,D3,C2,open,2024-01-04,700,120,web,2', // line 4: discount over 100
        'crm,D4,C2,open,2024-01-05,700,5,event,-1', // line 5: negative contacts
      ].join('\n') + '\n',
    );
    const s = await ingestFile(tw.warehouse, { entity: 'opportunities', file, rejectsFile: false });
    assert.deepEqual([s.read, s.loaded, s.rejected], [4, 2, 2]);
    assert.deepEqual(
      s.rejects.map((r) => [r.line, r.recordId, r.field]),
      [
        [4, 'D3', 'discount_pct'],
        [5, 'D4', 'contacts_met'],
      ],
    );
    assert.match(s.rejects[0].reason, /^line 4, field discount_pct: "120"/);
    const r = await rows<{
      opportunity_id: string;
      discount_pct: number | null;
      lead_source: string;
      contacts_met: number | null;
    }>(
      tw.warehouse,
      'SELECT opportunity_id, discount_pct, lead_source, contacts_met FROM crm.opportunities_resolved ORDER BY opportunity_id',
    );
    assert.deepEqual(r, [
      { opportunity_id: 'D1', discount_pct: 12.5, lead_source: 'referral', contacts_met: 3 },
      { opportunity_id: 'D2', discount_pct: null, lead_source: '', contacts_met: null },
    ]);
  });
});
