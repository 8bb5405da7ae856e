/**
 * `npm run privacy -- <erase|export> <customer id | e-mail | source:id>`: a person's right to
 * erasure and of access (issue 16; docs/privacy.md). Connects as the warehouse administrator — the
 * only user allowed to rewrite the append-only audit log — so it runs where the admin's credentials
 * are (the embedded default holds them in the data directory; a deployment's migrate host has them).
 * Lives in bin/ because erasure rebuilds the derived tables (semantic/) after removing the rows, and
 * only bin/ wires parts together.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cliActor } from '../lib/audit/log.ts';
import { dataDirFrom, loadWarehouseConfig } from '../lib/config.ts';
import { erasePerson, type Receipt } from '../lib/privacy/erase.ts';
import { exportPerson } from '../lib/privacy/export.ts';
import { PersonLookupError } from '../lib/privacy/person.ts';
import { privacyKey } from '../lib/privacy/tombstone.ts';
import { connectWarehouse } from '../lib/warehouse/index.ts';
import { isClickHouseError } from '../lib/warehouse/sql.ts';
import { applyMigrations } from '../lib/warehouse/migrations/runner.ts';
import { refreshDerived } from '../semantic/derived/refresh.ts';

export const PRIVACY_COMMANDS = ['erase', 'export'] as const;

const HELP = `Usage: npm run privacy -- <command> <customer id | e-mail | source:id> [options]

Commands:
  erase    remove the person from every table and file the product writes, keep a tombstone
           (a keyed hash) so re-loading an old file does not bring them back, rebuild the
           derived tables, and print the receipt (counts per table and file; also stored in
           privacy_erasures). Irreversible.
  export   write everything held about the person: <out>/person.json and one CSV per table.

The person is named by a customer id (C-…), an e-mail address, or a source record as
source:id (a bare source id works when only one source uses it).

Options:
  --dry-run       erase: count what would be removed, change nothing
  --out <dir>     export: the folder to write (default ./subject-access-<time>)
  --no-rebuild    erase: leave the derived tables to the next refresh
  --json          print the receipt / export summary as JSON
  -h, --help      this text

Needs the warehouse administrator (CLICKHOUSE_USER/PASSWORD, or the embedded default in
CRM_DATA_DIR) and the tombstone key CRM_PRIVACY_KEY (the embedded default generates one into
<CRM_DATA_DIR>/secrets.json). Every run is recorded in the audit log (privacy.erase,
privacy.export).

Examples:
  npm run privacy -- erase anna@example.com --dry-run
  npm run privacy -- erase crm:10042
  npm run privacy -- export C-00000000001a --out ./anna-export`;

export interface PrivacyIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

const stdio: PrivacyIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

export function formatReceipt(r: Receipt): string {
  const lines = [
    `${r.dryRun ? 'Dry run: would erase' : 'Erased'} ${r.customers} customer id(s), ${r.sourceRecords} source record(s) — subject ${r.subject}`,
    ...r.tables.map((t) => `  ${t.table.padEnd(32)} ${String(t.rows).padStart(8)} rows ${t.action === 'rewritten' ? 'rewritten (ids → tombstone)' : r.dryRun ? 'to delete' : 'deleted'}`),
    ...r.files.map((f) => `  ${f.path}: ${f.action === 'deleted' ? 'deleted' : `${f.records} record(s) removed`}${r.dryRun ? ' (would be)' : ''}`),
  ];
  if (!r.dryRun) {
    lines.push(`  ${r.tombstones} tombstones written · derived tables ${r.derivedRebuilt ? 'rebuilt' : 'left to the next refresh'} · receipt ${r.erasureId}`);
    if (r.partsPendingCleanup > 0) lines.push(`  warning: ${r.partsPendingCleanup} replaced parts were still on disk; the engine removes them shortly`);
  }
  return lines.join('\n');
}

export async function main(argv: string[] = process.argv.slice(2), io: PrivacyIo = stdio): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'dry-run': { type: 'boolean' },
        out: { type: 'string' },
        'no-rebuild': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    io.err(`privacy: ${(e as Error).message}\nRun with --help for usage.`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const [command, who, ...rest] = positionals;
  if (!command || !(PRIVACY_COMMANDS as readonly string[]).includes(command) || !who || rest.length) {
    io.err(`privacy: ${!command ? 'no command' : !(PRIVACY_COMMANDS as readonly string[]).includes(command) ? `unknown command "${command}"` : !who ? `${command}: name the person (customer id, e-mail or source:id)` : `unexpected arguments: ${rest.join(' ')}`}\nRun with --help for usage.`);
    return 2;
  }
  const config = loadWarehouseConfig();
  let wh: Awaited<ReturnType<typeof connectWarehouse>>;
  try {
    wh = await connectWarehouse({ config, ensureDatabase: true });
  } catch (e) {
    if (!isClickHouseError(e, 'ACCESS_DENIED')) throw e;
    io.err(`privacy: needs the warehouse administrator (CLICKHOUSE_USER / CLICKHOUSE_PASSWORD, or the embedded default): ${(e as Error).message.split('\n')[0]}`);
    return 2;
  }
  try {
    await applyMigrations(wh.client, { database: wh.database, cluster: wh.cluster });
    const target = { client: wh.client, database: wh.database, cluster: wh.cluster };
    if (command === 'erase') {
      const receipt = await erasePerson(target, who, {
        key: privacyKey(),
        actor: cliActor(),
        actorRole: 'cli',
        dryRun: values['dry-run'] === true,
        dataDir: config.url ? undefined : dataDirFrom(),
        rebuildDerived: values['no-rebuild'] ? undefined : () => refreshDerived(wh.client, wh.database, { cluster: wh.cluster }),
        log: (line) => io.err(line),
      });
      io.out(values.json ? JSON.stringify(receipt, null, 2) : formatReceipt(receipt));
      return 0;
    }
    const outDir = resolve(values.out ?? join('.', `subject-access-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`));
    const result = await exportPerson(target, who, { outDir, actor: cliActor(), actorRole: 'cli' });
    const summary = { dir: result.dir, customers: result.person.customerIds.length, rows: result.rows, tables: result.tables.map((t) => ({ table: t.table, rows: t.rows })), rejectLines: result.rejectLines };
    io.out(values.json ? JSON.stringify(summary, null, 2) : [`Wrote ${result.rows} rows about ${result.person.customerIds.length} customer id(s) to ${result.dir}`, ...result.tables.map((t) => `  ${t.table}.csv ${t.rows} rows`), `  person.json (everything, with ${result.rejectLines} rejected input line(s))`].join('\n'));
    return 0;
  } catch (e) {
    if (e instanceof PersonLookupError) {
      io.err(`privacy: ${e.message}`);
      return 1;
    }
    if (isClickHouseError(e, 'ACCESS_DENIED')) {
      io.err(`privacy: needs the warehouse administrator (CLICKHOUSE_USER / CLICKHOUSE_PASSWORD, or the embedded default): ${(e as Error).message.split('\n')[0]}`);
      return 2;
    }
    throw e;
  } finally {
    await wh.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`privacy: ${(e as Error)?.message ?? String(e)}\n`);
      process.exit(2);
    },
  );
}
