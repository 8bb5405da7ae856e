import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { generateDemo } from '../../ingest/demo/generate.ts';
import { loadDemo } from '../../ingest/demo/load-demo.ts';
import { parseScale } from '../../ingest/demo/scale.ts';
import { DEFAULT_TODAY } from '../../ingest/demo/world.ts';
import { refreshDerived } from '../../semantic/derived/refresh.ts';
import { startSemanticServer, type SemanticServer } from '../../semantic/server.ts';
import { trainAndScore } from '../../models/scoring/train-and-score.ts';
import { ensureDemoUsers, startWebServer, type DemoUser, type WebServer } from '../../web/server.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import jwt from 'jsonwebtoken';

/**
 * The whole product on demo data, all real: embedded warehouse in a temp dir, migrations, the demo
 * generator and loader (through the ingest jobs), derived tables, churn/CLV scoring, Cube and the
 * web server. For the web end-to-end tests and bench/web.ts.
 */
export interface ProductStack {
  tw: TestWarehouse;
  semantic: SemanticServer;
  web: WebServer;
  baseUrl: string;
  cubeSecret: string;
  demoUsers: DemoUser[];
  /** A Cube token as the dashboard would issue it for that role/owner. */
  token(role: string, ownerId?: string): string;
  /** POST /cubejs-api/v1/load straight to Cube (not through the web proxy). */
  load(query: unknown, token: string): Promise<Record<string, string | number | null>[]>;
  close(): Promise<void>;
}

export interface StackOptions {
  scale?: string;
  log?: (line: string) => void;
  /** Churn forest size (default 40: enough for realistic scores, quick to train). */
  trees?: number;
  /**
   * Extra records to load after the demo, before derived tables and scoring (so they are scored
   * and rolled up like any customer): the security suite plants its payloads here.
   */
  plant?: (warehouse: TestWarehouse['warehouse']) => Promise<void>;
}

export async function startProductStack(opts: StackOptions = {}): Promise<ProductStack> {
  const log = opts.log ?? (() => {});
  const tw = await startTestWarehouse({ poolSize: 3 });
  const demoDir = mkdtempSync(join(tmpdir(), 'crm-web-demo-'));
  let semantic: SemanticServer | undefined;
  let web: WebServer | undefined;
  try {
    const wh = tw.warehouse;
    await applyMigrations(wh.client, { database: tw.config.database });
    // As in production: the admin migrates, the jobs and the web app write as the writer, Cube reads as its own user.
    const writer = await tw.connectAs('writer');
    let t = Date.now();
    await generateDemo({ out: demoDir, scale: parseScale(opts.scale ?? 'small'), seed: 42, today: DEFAULT_TODAY });
    log(`demo generated in ${Date.now() - t} ms`);
    t = Date.now();
    await loadDemo(writer, { dir: demoDir, rejectsDir: false });
    log(`demo loaded in ${Date.now() - t} ms`);
    if (opts.plant) await opts.plant(writer);
    t = Date.now();
    await refreshDerived(writer.client, tw.config.database);
    log(`derived tables in ${Date.now() - t} ms`);
    t = Date.now();
    await trainAndScore(writer, { today: DEFAULT_TODAY, dataDir: tw.dir, trees: opts.trees ?? 40, evaluate: false });
    log(`models scored in ${Date.now() - t} ms`);
    const demoUsers = await ensureDemoUsers(writer.client);
    const cubeSecret = randomBytes(24).toString('base64url');
    semantic = await startSemanticServer({
      warehouse: { url: wh.url, ...tw.users.semantic, database: tw.config.database },
      apiSecret: cubeSecret,
      port: 0,
      log: (line) => log(`[semantic] ${line}`),
    });
    // Builds web/build only when it is missing or stale: `npm test` builds it once before the e2e
    // lane (test/run.mjs), so every stack of the run serves that one build.
    web = await startWebServer({
      port: 0,
      cubeUrl: semantic.url,
      warehouse: { client: writer.client, database: tw.config.database },
      secrets: { sessionSecret: randomBytes(24).toString('base64url'), cubeApiSecret: cubeSecret },
      // Never the repository's .data: a test that wants its own directory sets CRM_DATA_DIR first.
      dataDir: process.env.CRM_DATA_DIR ?? tw.dir,
      log: (line) => log(`[web] ${line}`),
    });
    const s = semantic;
    const w = web;
    return {
      tw,
      semantic: s,
      web: w,
      baseUrl: w.url,
      cubeSecret,
      demoUsers,
      token(role, ownerId) {
        const payload: Record<string, unknown> = { sub: `test-${role}`, role, name: `Test ${role}` };
        if (ownerId) payload.owner_id = ownerId;
        return jwt.sign(payload, cubeSecret, { algorithm: 'HS256', expiresIn: 3600 });
      },
      async load(query, token) {
        // Cube's own polling protocol: the server-side wait (CRM_SEMANTIC_WAIT_SECONDS) would turn a slow
        // first query on a loaded machine into a 504; this loop has no deadline of its own to honour.
        for (;;) {
          const res = await fetch(`${s.url}/v1/load`, { method: 'POST', headers: { authorization: token, 'content-type': 'application/json', 'x-cube-continue-wait': 'allow' }, body: JSON.stringify({ query }) });
          const body = (await res.json()) as { data?: Record<string, string | number | null>[]; error?: string };
          if (body.error === 'Continue wait') continue;
          if (!res.ok || body.error) throw new Error(`Cube ${res.status}: ${body.error}`);
          return body.data ?? [];
        }
      },
      async close() {
        await w.close();
        await s.close();
        await tw.close();
        rmSync(demoDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await web?.close();
    await semantic?.close();
    await tw.close();
    if (existsSync(demoDir)) rmSync(demoDir, { recursive: true, force: true });
    throw err;
  }
}
