import type { ClickHouseClient } from '@clickhouse/client';
import { checkDemoAccounts } from '../../lib/warehouse/demo-accounts.ts';
import type { DemoAccountsGate } from '../src/lib/server/context.ts';

/** How often a running dashboard looks for a load of own data while demo accounts are active. */
export const DEMO_CHECK_MS = 30_000;

/**
 * The running dashboard's side of lib/warehouse/demo-accounts.ts: a load of one's own data while
 * `npm start` runs (the ingest CLI against the same endpoint, the HTTP API) deactivates the demo
 * accounts within DEMO_CHECK_MS — which ends the demo sessions already open — and a demo account's
 * sign-in looks again first, so no new session starts in between.
 */
export function demoAccountsGate(client: ClickHouseClient, database: string, demoDir: string, log: (line: string) => void, intervalMs = DEMO_CHECK_MS): DemoAccountsGate & { close(): void } {
  let active = true;
  let ownData = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async (): Promise<boolean> => {
    // Own data never leaves: once seen, a demo sign-in (which anyone can post) costs no query.
    if (ownData) return false;
    const r = await checkDemoAccounts(client, database, demoDir);
    ownData = r.ownLoads > 0;
    if (r.retired > 0) log(`demo accounts turned off: the warehouse holds ${r.ownLoads} load(s) of your own data (add your own accounts: npm run users -- --help)`);
    active = r.active > 0 && r.ownLoads === 0;
    // Own data stays: from then on a demo account can only come back through a sign-in, which
    // checks again. Before, the rounds go on even with no demo account active — one may be added
    // (users CLI, a demo load) and signed in before the first own load.
    if (r.ownLoads > 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
    return r.ownLoads === 0;
  };
  const round = (): void => void check().catch((err: Error) => log(`demo accounts not checked: ${err.message}`));
  timer = setInterval(round, intervalMs);
  timer.unref();
  // At once too: the sign-in page must not name the demo accounts for a round on a warehouse with own data.
  round();
  return {
    usable: check,
    hintShown: () => active,
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
