/**
 * Subject access hands a person THEIR data (lib/privacy/export.ts): an attacker's view is a
 * request in the name of someone who shares a name with the victim, or whose customer id sits in
 * the same audit row as the victim's. On the engine, through the ingest jobs: two customers named
 * alike (different e-mails, so two people), a rejected record of the other one, an audit row of an
 * export that named both. The export for the first holds their own records and nothing that
 * identifies the other: not their e-mail, source id or customer id, in any file it writes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ingestFile } from '../../../ingest/index.ts';
import { customerIdFor } from '../../../ingest/identity/customer-id.ts';
import { writeAudit } from '../../../lib/audit/log.ts';
import { erasePerson } from '../../../lib/privacy/erase.ts';
import { exportPerson } from '../../../lib/privacy/export.ts';
import { applyMigrations } from '../../../lib/warehouse/migrations/runner.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';

const NAME = 'Annabel Nameshare';
const ME = { id: 'shop-anna-me', email: 'annabel.me@example.test' };
const OTHER = { id: 'shop-anna-other', email: 'annabel.other@example.test', badId: 'shop-anna-other-bad' };
const meId = customerIdFor('shop', ME.id);
const otherId = customerIdFor('shop', OTHER.id);

let tw: TestWarehouse;
let dir: string;

before(async () => {
  tw = await startTestWarehouse();
  await applyMigrations(tw.warehouse.client, { database: tw.config.database });
  dir = mkdtempSync(join(tmpdir(), 'crm-export-scope-'));
  const file = join(dir, 'shop-customers.csv');
  writeFileSync(
    file,
    'source_id,name,email,country,region,signup_date\n' +
      `${ME.id},${NAME},${ME.email},DE,EMEA,2024-01-02\n` +
      `${OTHER.id},${NAME},${OTHER.email},DE,EMEA,2024-01-03\n` +
      `${OTHER.badId},${NAME},${OTHER.email},DE,EMEA,not-a-date\n`,
  );
  const writer = await tw.connectAs('writer');
  try {
    const s = await ingestFile(writer, { entity: 'customers', file, source: 'shop' });
    assert.equal(s.status, 'completed', JSON.stringify(s));
    assert.equal(s.rejected, 1, "the other person's bad row is rejected");
  } finally {
    await writer.close();
  }
  await writeAudit({ client: tw.warehouse.client, database: tw.config.database }, { action: 'export.segment', actor: 'u-marketer', actorRole: 'marketer', targetKind: 'customer', targetIds: [meId, otherId], outcome: 'ok', rowCount: 2 });
});

after(async () => {
  await tw?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the export holds the person's own records and nothing identifying a namesake or a co-listed customer", async () => {
  const outDir = join(dir, 'export');
  const r = await exportPerson({ client: tw.warehouse.client, database: tw.config.database }, ME.email, { outDir, actor: 'u-admin', actorRole: 'admin' });
  assert.deepEqual(r.person.customerIds, [meId]);
  const text = readdirSync(outDir)
    .map((f) => readFileSync(join(outDir, f), 'utf8'))
    .join('\n');
  // The person's own data is there (the export works) …
  for (const mine of [ME.email, ME.id, meId]) assert.ok(text.includes(mine), `the export holds ${mine}`);
  // … and none of the other person's.
  const leaks = [OTHER.email, OTHER.id, OTHER.badId, otherId].filter((v) => text.includes(v));
  assert.deepEqual(leaks, [], `the export for ${ME.email} names another person: ${leaks.join(', ')}`);
});

test("erasing the person would remove none of a namesake's records (free text is matched by identifiers, not by name)", async () => {
  const r = await erasePerson({ client: tw.warehouse.client, database: tw.config.database }, ME.email, {
    key: 'k'.repeat(32),
    actor: 'u-admin',
    actorRole: 'admin',
    dryRun: true,
  });
  assert.equal(r.customers, 1);
  // The only rejected row is the namesake's (it names them by name, e-mail and source id, not ME).
  assert.equal(r.tables.find((t) => t.table === 'rejects')?.rows ?? 0, 0, JSON.stringify(r.tables));
  // ME's own customer rows would go.
  assert.ok((r.tables.find((t) => t.table === 'customers')?.rows ?? 0) >= 1, JSON.stringify(r.tables));
});
