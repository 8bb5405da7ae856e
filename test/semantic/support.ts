import { randomBytes } from 'node:crypto';
import { applyMigrations } from '../../lib/warehouse/migrations/runner.ts';
import { refreshDerived } from '../../semantic/derived/refresh.ts';
import { issueToken, type Role } from '../../semantic/security/auth.ts';
import type { SemanticServer, SemanticServerOptions } from '../../semantic/server.ts';
import { startSemanticOver } from '../support/semantic.ts';
import { startTestWarehouse, type TestWarehouse } from '../support/warehouse.ts';
import { loadFixture } from './fixture.ts';

export type Row = Record<string, string | null>;

export interface CubeQuery {
  measures?: string[];
  dimensions?: string[];
  timeDimensions?: { dimension: string; granularity?: string; dateRange?: string | string[] }[];
  filters?: unknown[];
  order?: Record<string, 'asc' | 'desc'> | [string, 'asc' | 'desc'][];
  limit?: number;
  ungrouped?: boolean;
  [key: string]: unknown;
}

export interface Answer {
  status: number;
  body: { data?: Row[]; error?: string; type?: string; sql?: { sql: [string, unknown[]] }; [key: string]: unknown };
}

export interface SemanticFixture {
  tw: TestWarehouse;
  semantic: SemanticServer;
  secret: string;
  /** Every line the Cube process wrote (its stderr JSON log), oldest first. */
  logs: string[];
  token(role: Role, ownerId?: string): string;
  /** POST /v1/load (or another path) with a bearer token; `token: null` sends none. */
  post(path: string, body: unknown, token: string | null): Promise<Answer>;
  load(query: CubeQuery, token: string): Promise<Row[]>;
  graphql(query: string, token: string | null): Promise<{ status: number; body: { data?: unknown; errors?: { message: string }[]; error?: string } }>;
  close(): Promise<void>;
}

/** Embedded warehouse + migrations + the hand-countable fixture + refreshDerived + a real Cube server. */
export async function startSemanticFixture(options: Partial<SemanticServerOptions> = {}): Promise<SemanticFixture> {
  const tw = await startTestWarehouse();
  let semantic: SemanticServer | undefined;
  try {
    const { client } = tw.warehouse;
    await applyMigrations(client, { database: tw.config.database });
    await loadFixture(client, tw.config.database);
    await refreshDerived(client, tw.config.database);
    const secret = randomBytes(24).toString('base64url');
    const log: string[] = [];
    semantic = await startSemanticOver(tw, {
      apiSecret: secret,
      log: (line) => {
        log.push(line);
        if (process.env.SEMANTIC_TEST_LOG) process.stderr.write(`[semantic] ${line}\n`);
      },
      ...options,
    });
    const server = semantic;
    const post = async (path: string, body: unknown, token: string | null): Promise<Answer> => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token !== null) headers.authorization = `Bearer ${token}`;
      const res = await fetch(`${server.url}/${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Answer['body'] };
    };
    return {
      tw,
      semantic: server,
      secret,
      logs: log,
      token: (role, ownerId) => issueToken({ role, name: `Test ${role}`, ownerId, secret }),
      post,
      async load(query, token) {
        const answer = await post('v1/load', { query }, token);
        if (answer.status !== 200) throw new Error(`load ${answer.status}: ${answer.body.error ?? JSON.stringify(answer.body)}`);
        return answer.body.data ?? [];
      },
      async graphql(query, token) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (token !== null) headers.authorization = `Bearer ${token}`;
        const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query }) });
        return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: { message: string }[] } };
      },
      async close() {
        await server.close();
        await tw.close();
      },
    };
  } catch (err) {
    await semantic?.close();
    await tw.close();
    throw err;
  }
}

/** Rows as { key: value } keyed by one column, values as numbers (Cube returns numbers as strings). */
export function byKey(rows: Row[], key: string, value: string): Record<string, number> {
  return Object.fromEntries(rows.map((r) => [String(r[key]), Number(r[value])]));
}

export const num = (v: string | null | undefined): number => Number(v);
