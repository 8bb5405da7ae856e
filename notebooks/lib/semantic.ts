/**
 * A small client of the semantic layer's REST API (Cube `/v1/load`) for notebooks: where the API is,
 * which token to send, and rows with numbers as numbers and short column names.
 */

export interface CubeQuery {
  measures?: string[];
  dimensions?: string[];
  timeDimensions?: { dimension: string; granularity?: string; dateRange?: string | string[] }[];
  filters?: unknown[];
  order?: Record<string, 'asc' | 'desc'> | [string, 'asc' | 'desc'][];
  limit?: number;
  total?: boolean;
}

export type Value = string | number | null;
export type Row = Record<string, Value>;

interface Annotation {
  measures?: Record<string, { type?: string }>;
  dimensions?: Record<string, { type?: string }>;
  timeDimensions?: Record<string, { type?: string }>;
}

interface LoadAnswer {
  data?: Record<string, Value>[];
  annotation?: Annotation;
  error?: string;
  type?: string;
}

/**
 * The API base ending in /cubejs-api: CRM_SEMANTIC_URL (with or without the suffix), else npm start's
 * default port. Reads the two variables itself rather than through lib/config/schema.ts, where they
 * are declared: this file runs in the notebook kernel, which tslab compiles as CommonJS and which
 * cannot import the project's ESM modules statically (see project.ts).
 */
export function semanticUrl(env: Record<string, string | undefined> = process.env): string {
  const base = (env.CRM_SEMANTIC_URL?.trim() || `http://127.0.0.1:${env.CRM_SEMANTIC_PORT?.trim() || 4000}`).replace(/\/+$/, '');
  return base.endsWith('/cubejs-api') ? base : `${base}/cubejs-api`;
}

/**
 * "sales.order_date.month" → "order_date", "sales.revenue" → "revenue": the view and granularity
 * are in the query already, and short names read better in a data frame.
 */
export function shortName(member: string): string {
  const parts = member.split('.');
  return parts.length >= 2 ? parts[1] : member;
}

/**
 * Converts Cube's answer: numbers arrive as strings (64-bit safe JSON) and become numbers by the
 * annotation's type; each time dimension appears twice (with and without its granularity) and is
 * kept once, as YYYY-MM-DD.
 */
export function toRows(data: Record<string, Value>[], annotation: Annotation = {}): Row[] {
  const numeric = new Set<string>();
  for (const group of [annotation.measures, annotation.dimensions]) {
    for (const [name, a] of Object.entries(group ?? {})) if (a.type === 'number') numeric.add(name);
  }
  return data.map((raw) => {
    const row: Row = {};
    for (const [member, value] of Object.entries(raw)) {
      const parts = member.split('.');
      const name = shortName(member);
      if (parts.length === 3) {
        // view.dimension.granularity: the time bucket, as its day
        row[name] = typeof value === 'string' ? value.slice(0, 10) : value;
      } else if (!Object.keys(raw).some((k) => k.startsWith(`${member}.`))) {
        // (a time dimension also comes without its granularity: kept once, from the granular twin)
        row[name] = numeric.has(member) && value !== null ? Number(value) : value;
      }
    }
    return row;
  });
}

export class SemanticApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export class SemanticApi {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  private async request(path: string, body?: unknown): Promise<Response> {
    try {
      return await fetch(`${this.url}/${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new SemanticApiError(
        `the semantic API at ${this.url} does not answer (${(error as Error).message}): start the product with \`npm start\` in another terminal, ` +
          'or point CRM_SEMANTIC_URL at a running one',
      );
    }
  }

  /** POST /v1/load; waits while Cube answers "Continue wait". */
  async load(query: CubeQuery): Promise<Row[]> {
    for (;;) {
      const res = await this.request('v1/load', { query });
      const answer = (await res.json()) as LoadAnswer;
      if (res.status === 200 && answer.error === 'Continue wait') continue;
      if (res.status !== 200 || answer.error) {
        throw new SemanticApiError(`load failed (${res.status}${answer.type ? ` ${answer.type}` : ''}): ${answer.error ?? JSON.stringify(answer)}`, res.status);
      }
      return toRows(answer.data ?? [], answer.annotation);
    }
  }

  /** GET /v1/meta: the views and their members. */
  async meta(): Promise<{ name: string; title?: string; description?: string; measures: { name: string }[]; dimensions: { name: string }[] }[]> {
    const res = await this.request('v1/meta');
    const body = (await res.json()) as { cubes?: []; error?: string };
    if (res.status !== 200) throw new SemanticApiError(`meta failed (${res.status}): ${body.error ?? ''}`, res.status);
    return body.cubes ?? [];
  }
}

/** Column `name` of rows as an array. */
export function column<T extends Value = Value>(rows: Row[], name: string): T[] {
  return rows.map((r) => r[name] as T);
}
