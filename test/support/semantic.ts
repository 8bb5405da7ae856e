import assert from 'node:assert/strict';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSemanticServer, type SemanticServer, type SemanticServerOptions } from '../../semantic/server.ts';
import type { TestWarehouse } from './warehouse.ts';

/** Options of startSemanticServer but the warehouse, which these helpers supply; port and log default to 0 and silence. */
export type SemanticOptions = Omit<SemanticServerOptions, 'warehouse' | 'port' | 'log'> &
  Partial<Pick<SemanticServerOptions, 'port' | 'log'>>;

/**
 * The product's semantic server (a real Cube) over a test warehouse, connected as the warehouse's
 * admin user like most suites (pass `user` and `password` in `as` for another: web/stack.ts uses
 * the semantic user). On a free port, silent unless `log` is given.
 */
export function startSemanticOver(
  tw: TestWarehouse,
  opts: SemanticOptions & { as?: { user: string; password: string } },
): Promise<SemanticServer> {
  const { as, ...rest } = opts;
  const who = as ?? { user: tw.warehouse.user, password: tw.warehouse.password };
  return startSemanticServer({
    warehouse: { url: tw.warehouse.url, ...who, database: tw.config.database },
    port: 0,
    log: () => {},
    ...rest,
  });
}

/** POST /v1/load as `token`: the rows, after asserting a 200 (the answer's body in the message otherwise). */
export async function loadRows<Row = Record<string, string | null>>(
  semantic: SemanticServer,
  token: string,
  query: object,
): Promise<Row[]> {
  const res = await fetch(`${semantic.url}/v1/load`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { data?: Row[]; error?: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.data ?? [];
}

export interface SemanticOverStandIn {
  semantic: SemanticServer;
  /** Closes the semantic server, then the stand-in (its open connections first: a held statement would keep it open). */
  close(): Promise<void>;
}

/**
 * The product's semantic server against a stand-in warehouse on a loopback port: `handler` gets
 * every statement Cube sends (and may never answer, or hold it until the test lets it go). For the
 * suites that check what Cube sends or how it waits, where a real engine's timing would decide.
 */
export async function startSemanticOverStandIn(
  handler: RequestListener,
  opts: SemanticOptions,
): Promise<SemanticOverStandIn> {
  const standIn = createServer(handler);
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
  const { port } = standIn.address() as AddressInfo;
  const closeStandIn = async (): Promise<void> => {
    standIn.closeAllConnections();
    await new Promise<void>((resolve) => standIn.close(() => resolve()));
  };
  let semantic: SemanticServer;
  try {
    semantic = await startSemanticServer({
      warehouse: { url: `http://127.0.0.1:${port}`, user: 'crm', password: 'x', database: 'crm' },
      port: 0,
      log: () => {},
      ...opts,
    });
  } catch (err) {
    await closeStandIn();
    throw err;
  }
  return {
    semantic,
    async close() {
      await semantic.close();
      await closeStandIn();
    },
  };
}
