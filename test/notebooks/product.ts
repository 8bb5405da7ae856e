/**
 * A running product for the notebooks, the way `npm start` runs it, inside a test: a temp embedded
 * warehouse with the schema, the demo world (small, fixed seed and day) loaded through the ingest
 * jobs, the derived tables, churn and CLV scores, and the semantic layer (Cube) on a free port.
 * `env` is what the notebooks need to find it (CRM_DATA_DIR, CLICKHOUSE_*, CRM_SEMANTIC_URL).
 */
import { join } from 'node:path';
import { generateDemo } from '../../ingest/demo/generate.ts';
import { loadDemo } from '../../ingest/demo/load-demo.ts';
import { parseScale } from '../../ingest/demo/scale.ts';
import { localSecrets } from '../../lib/config.ts';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { trainAndScore } from '../../models/scoring/train-and-score.ts';
import { refreshDerived } from '../../semantic/derived/refresh.ts';
import { startSemanticServer, type SemanticServer } from '../../semantic/server.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';

export interface NotebookProductOptions {
  /** Demo customers (default 1,000). */
  customers?: number;
  /** The demo's "today" (default 2026-11-01). */
  today?: string;
  /** Trees of the churn forest trained by trainAndScore (default 30). */
  trees?: number;
  log?: (line: string) => void;
}

export interface NotebookProduct {
  tw: TestWarehouse;
  semantic: SemanticServer;
  today: string;
  /** Environment for the notebooks' kernel. */
  env: Record<string, string>;
  /** Seconds per setup step. */
  timings: Record<string, number>;
  close(): Promise<void>;
}

export async function startNotebookProduct(opts: NotebookProductOptions = {}): Promise<NotebookProduct> {
  const today = opts.today ?? '2026-11-01';
  const log = opts.log ?? (() => {});
  const timings: Record<string, number> = {};
  let t = performance.now();
  const step = (name: string): void => {
    const now = performance.now();
    timings[name] = Number(((now - t) / 1000).toFixed(1));
    log(`${name}: ${timings[name]} s`);
    t = now;
  };
  const tw = await startTestWarehouse();
  let semantic: SemanticServer | undefined;
  try {
    const { warehouse } = tw;
    await applyMigrations(warehouse.client, { database: warehouse.database });
    step('warehouse + migrations');
    const demoDir = join(tw.dir, 'demo');
    await generateDemo({ out: demoDir, scale: parseScale(String(opts.customers ?? 1000)), seed: 42, today });
    step('demo generated');
    await loadDemo(warehouse, { dir: demoDir, rejectsDir: false });
    step('demo loaded');
    await refreshDerived(warehouse.client, warehouse.database);
    step('derived tables');
    await trainAndScore(warehouse, { today, trees: opts.trees ?? 30, dataDir: tw.dir });
    step('churn + CLV scores');
    // The secret npm start would use for this data directory: the notebooks mint their token with it.
    semantic = await startSemanticServer({
      warehouse: { url: warehouse.url, user: warehouse.user, password: warehouse.password, database: warehouse.database },
      apiSecret: localSecrets(tw.dir).cubeApiSecret,
      port: 0,
      log: () => {},
    });
    step('semantic layer');
    const server = semantic;
    return {
      tw,
      semantic: server,
      today,
      env: {
        CRM_DATA_DIR: tw.dir,
        // The test warehouse's password is not in the data directory's secrets file.
        CLICKHOUSE_USER: warehouse.user,
        CLICKHOUSE_PASSWORD: warehouse.password,
        CLICKHOUSE_DATABASE: warehouse.database,
        CRM_SEMANTIC_URL: server.url,
      },
      timings,
      async close() {
        await server.close();
        await tw.close();
      },
    };
  } catch (error) {
    await semantic?.close();
    await tw.close();
    throw error;
  }
}
