import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../lib/config/schema.ts';
import { startWebServer, type WebServer, type WebServerOptions } from '../../web/server.ts';
import type { TestWarehouse } from './warehouse.ts';

/**
 * The dashboard server alone over a test warehouse, served directly as `npm start` serves it (no
 * origin configured, no proxy) with fresh secrets. Its Cube URL points nowhere: for tests of the
 * sign-in, sessions and the server's own routes, which need only the warehouse. `extra` adds or
 * replaces options (a demo directory, shorter check rounds).
 */
export function startDashboardOnly(tw: TestWarehouse, client: TestWarehouse['warehouse']['client'], extra: Partial<WebServerOptions> = {}): Promise<WebServer> {
  return startWebServer({
    port: 0,
    cubeUrl: 'http://127.0.0.1:9/cubejs-api',
    warehouse: { client, database: tw.config.database },
    secrets: { sessionSecret: randomBytes(24).toString('base64url'), cubeApiSecret: randomBytes(24).toString('base64url') },
    dataDir: tw.dir,
    config: loadConfig({ ...process.env, CRM_WEB_ORIGIN: '', CRM_WEB_PROTOCOL_HEADER: '' }),
    log: () => {},
    ...extra,
  });
}
