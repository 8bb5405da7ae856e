/**
 * `npm run ingest -- detect` as a user runs it (a child process): help, the draft on stdout or in
 * --out, the report with the dry run on stderr, and clear refusals (binary input, missing file,
 * bad options) with exit code 2. It never touches a warehouse.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fixture } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'detect-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function detect(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // An empty data dir that does not exist: detect must not need (or create) a warehouse.
    const child = spawn(process.execPath, ['--import', 'tsx', 'ingest/cli.ts', 'detect', ...args], { cwd: ROOT, env: { ...process.env, CRM_DATA_DIR: join(dir, 'no-warehouse') } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('ingest detect CLI', () => {
  test('--help', async () => {
    const r = await detect('--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: npm run ingest -- detect <file>/);
    assert.match(r.stdout, /--entity/);
  });

  test('draft on stdout, report and dry run on stderr', async () => {
    const r = await detect(fixture('exports/german-semicolon.csv'), '--rows', '2');
    assert.equal(r.code, 0, r.stderr);
    const draft = JSON.parse(r.stdout) as { columns: Record<string, string>; numbers: object; $comment: string[] };
    assert.equal(draft.columns.Betrag, 'amount');
    assert.deepEqual(draft.numbers, { decimal: ',', thousands: '.' });
    assert.match(r.stderr, /german-semicolon\.csv: transactions/);
    assert.match(r.stderr, /Preview: the first 2 rows/);
    // The first row as stored: 1.249,00 read with a decimal comma, the windows-1252 umlaut decoded.
    assert.match(r.stderr, /B-5001 .*1249\.00/);
    assert.match(r.stderr, /Kühlschrank/);
    assert.match(r.stderr, /Checked 8 rows: 8 would load, 0 would be rejected/);
    assert.equal(existsSync(join(dir, 'no-warehouse')), false, 'no data directory created');
  });

  test('--out writes the draft; --json gives the guesses and the dry run', async () => {
    const out = join(dir, 'stripe.json');
    const r = await detect(fixture('exports/stripe-charges.csv'), '--out', out, '--json');
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { entity: string; draft: { source: string }; dryRun: { checked: number; valid: number } };
    assert.deepEqual([report.entity, report.draft.source, report.dryRun.checked, report.dryRun.valid], ['transactions', 'stripe', 9, 9]);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), report.draft);
  });

  test('--out at a name planted as a link (a shared folder): exit 2, the link target untouched (ninth security review)', async () => {
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'kept\n');
    const out = join(dir, 'planted.mapping.json');
    symlinkSync(victim, out);
    const r = await detect(fixture('exports/stripe-charges.csv'), '--out', out);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /the mapping draft .*planted\.mapping\.json is a symbolic link/);
    assert.equal(readFileSync(victim, 'utf8'), 'kept\n');
    assert.ok(lstatSync(out).isSymbolicLink());
  });

  test('rejects a dry run would produce are shown by line and field', async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'transaction_id,customer,date,amount\nT1,C1,2024-01-05,10.50\nT2,C2,2024-01-06,abc\nT3,C3,2024-01-07,3\n');
    const r = await detect(file);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Checked 3 rows: 2 would load, 1 would be rejected/);
    assert.match(r.stderr, /rejected: line 3, field amount: "abc"/);
  });

  test('binary input: exit 2, what it looks like, no bytes echoed', async () => {
    const file = join(dir, 'export.csv');
    writeFileSync(file, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0xff, 0xfe, 0x01]));
    const r = await detect(file);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /export\.csv is not a CSV\/NDJSON\/Parquet file \(it looks like a ZIP archive/);
    assert.ok(![...r.stderr].some((c) => c.charCodeAt(0) < 32 && c !== '\n'));
  });

  test('missing file, unknown entity', async () => {
    const missing = await detect(join(dir, 'nope.csv'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such file/);
    const entity = await detect(fixture('exports/headerless.csv'), '--entity', 'orders');
    assert.equal(entity.code, 2);
    assert.match(entity.stderr, /unknown entity "orders"/);
  });
});
