/**
 * `npm start`: the whole product on one machine. Starts (or connects to) the warehouse, applies
 * migrations, loads the demo data into an empty warehouse, then starts every server process and
 * prints where to go. Ctrl-C stops everything in reverse order.
 */
import { loadWarehouseConfig } from '../lib/config.ts';
import { connectWarehouse, type Warehouse } from '../lib/warehouse/index.ts';
import { applyMigrations } from '../lib/warehouse/migrations/runner.ts';

interface Running {
  name: string;
  url?: string;
  close(): Promise<void>;
}

const HELP = `Usage: npm start [-- --no-demo]

Starts the customer-intelligence platform.
  With no CLICKHOUSE_URL set, an embedded ClickHouse (chdb) runs in this process on 127.0.0.1,
  with its data in CRM_DATA_DIR (default ./.data). Set CLICKHOUSE_URL, CLICKHOUSE_USER,
  CLICKHOUSE_PASSWORD and CLICKHOUSE_DATABASE to use a real ClickHouse server instead.

Options:
  --no-demo   do not load the demo data into an empty warehouse
  --help      show this help`;

const log = (line: string): void => console.error(`[start] ${line}`);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(HELP);
    return;
  }
  const running: Running[] = [];
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      log('stopping…');
      for (const r of running.reverse()) {
        try {
          await r.close();
        } catch (err) {
          log(`${r.name} did not stop cleanly: ${(err as Error).message}`);
        }
      }
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    const config = loadWarehouseConfig();
    const wh: Warehouse = await connectWarehouse({ config, ensureDatabase: true });
    running.push({ name: 'warehouse', url: wh.url, close: () => wh.close() });
    log(wh.embedded ? `embedded ClickHouse (chdb) on ${wh.url}, data in ${config.dataDir}` : `ClickHouse at ${wh.url}`);
    const migrated = await applyMigrations(wh.client, { database: wh.database, cluster: wh.cluster }, undefined, log);
    log(`schema at version ${migrated.current}${migrated.applied.length ? ` (applied ${migrated.applied.map((m) => m.version).join(', ')})` : ''}`);
    printBanner(running);
  } catch (err) {
    log(`failed: ${(err as Error).message}`);
    await stop(1);
  }
}

function printBanner(running: Running[]): void {
  const lines = running.filter((r) => r.url).map((r) => `  ${r.name.padEnd(14)} ${r.url}`);
  console.log(['', 'Customer intelligence is running:', ...lines, '', 'Press Ctrl-C to stop.', ''].join('\n'));
}

await main();
