/**
 * `npm run dev:web`: the dashboard on Vite's dev server (hot reload, source maps) against a product
 * that is already running — `npm start` in another terminal. It shares the running warehouse
 * (found through the data directory, like `npm run ingest`), calls Cube at CRM_SEMANTIC_URL
 * (default http://127.0.0.1:4000/cubejs-api) and uses the same local secrets, so sessions and
 * tokens work as in production. Port: CRM_WEB_DEV_PORT (default 5173).
 */
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { loadConfig, loadWarehouseConfig, localSecrets } from '../lib/config.ts';
import { connectWarehouse } from '../lib/warehouse/index.ts';
import { setWebContext } from './src/lib/server/context.ts';
import { createWebContext, cubeApiBase } from './server.ts';

const WEB_ROOT = fileURLToPath(new URL('.', import.meta.url));
const log = (line: string): void => console.error(`[web:dev] ${line}`);

const env = loadConfig();
const config = loadWarehouseConfig(env);
const secrets = localSecrets(config.dataDir, env);
const cubeUrl = cubeApiBase(env.CRM_SEMANTIC_URL ?? 'http://127.0.0.1:4000/cubejs-api');
const warehouse = await connectWarehouse({ config });
setWebContext(await createWebContext({ cubeUrl, warehouse, secrets, dataDir: config.dataDir, config: env }, log));

// SvelteKit reads svelte.config.js from the working directory.
process.chdir(WEB_ROOT);
const server = await createServer({
  configFile: `${WEB_ROOT}vite.config.ts`,
  server: {
    host: env.CRM_BIND_HOST,
    port: env.CRM_WEB_DEV_PORT,
    // Same origin for the browser, as in production (web/server/cube-proxy.ts).
    proxy: { '/cubejs-api': { target: new URL(cubeUrl).origin, changeOrigin: true } },
  },
});
await server.listen();
server.printUrls();
log(`warehouse ${warehouse.url}, semantic layer ${cubeUrl}`);
const stop = async (): Promise<void> => {
  await server.close();
  await warehouse.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
