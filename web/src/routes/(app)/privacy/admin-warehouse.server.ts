import { loadWarehouseConfig } from '../../../../../lib/config.ts';
import { findRunningEndpoint } from '../../../../../lib/warehouse/embedded/server.ts';
import { connectWarehouse, type Warehouse } from '../../../../../lib/warehouse/index.ts';

/**
 * The warehouse administrator, for an erasure started on the Privacy page: only the admin may
 * rewrite the append-only audit log (the dashboard's own user is the writer). The embedded default
 * (`npm start`) holds the admin's password in the data directory; a deployment that keeps it on
 * its migrate host only gets an error here saying to run `npm run privacy` there.
 *
 * The environment is read with the process's data directory: the bundle's copy of lib/config would
 * look under web/build. Never starts an engine: in embedded mode it joins the running endpoint.
 */
export class NoAdminError extends Error {
  override name = 'NoAdminError';
}

export async function adminWarehouse(dataDir: string): Promise<Warehouse> {
  const env = { ...process.env, CRM_DATA_DIR: dataDir };
  const config = loadWarehouseConfig(env);
  if (!config.url) {
    const url = await findRunningEndpoint(dataDir);
    if (!url) throw new NoAdminError('no running warehouse endpoint in the data directory');
    config.url = url;
  }
  const wh = await connectWarehouse({ config, requestTimeout: 600_000 });
  try {
    await wh.client.query({ query: 'SELECT 1', format: 'JSONEachRow' });
  } catch (e) {
    await wh.close();
    throw new NoAdminError(`the warehouse administrator cannot connect (${(e as Error).message.split('\n')[0]})`);
  }
  return wh;
}
