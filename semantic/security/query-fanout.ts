import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { graphqlShapeProblem } from './graphql-shape.ts';
import { graphqlDateProblem, queryDateProblem } from './date-filters.ts';
import { routePath } from './route-path.ts';

interface GraphqlParser {
  parse(source: string, options?: { noLocation?: boolean }): unknown;
  visit(root: unknown, visitor: Record<string, (node: { name: { value: string } }) => void>): unknown;
}
// The graphql that Cube's own GraphQL endpoint (express-graphql in api-gateway) parses with, so both read a document alike.
const requireHere = createRequire(import.meta.url);
const gatewayRequire = createRequire(createRequire(requireHere.resolve('@cubejs-backend/server')).resolve('@cubejs-backend/api-gateway'));
const graphql = gatewayRequire('graphql') as GraphqlParser;

/**
 * How many warehouse queries one API request may fan out to. Cube 0.33 runs one query per element
 * of a query array (data blending), one per range of a `compareDateRange`, and one per `cube` field
 * of a GraphQL document (aliases make as many as the text holds), each up to the row limit, and
 * holds every answer in memory until the last is in. Within the 1 MB body limit that was tens of
 * thousands of queries from any signed-in user — an owner included, through the dashboard — each
 * queued against everyone's, and answers that ran the Cube process out of memory (fourth security
 * review). The dashboard asks at most 3 per request (a period, its comparison, the year before).
 */
export const MAX_QUERIES_PER_REQUEST = 12;

/**
 * How deep a REST query may nest (objects and arrays; the query itself is 1). The dashboard's
 * deepest, a segment's groups of rules, is under 10. A query of `{"or":[{"or":[…]}]}` twenty
 * thousand deep (180 KB) overflowed the stack in the answer cache's key and Cube's own walks: a
 * 500 "failed to answer" that clients retry, where the asker needs to hear the query is too deep
 * (eighth security review).
 */
export const MAX_QUERY_DEPTH = 64;

/** The nesting depth of a parsed JSON value, counted without recursion and up to `limit + 1`. */
export function jsonDepth(value: unknown, limit = MAX_QUERY_DEPTH): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return deepest;
}

/** The REST request's query (parsed when sent as text), or undefined when it is not a REST data request. */
function restQueryOf(req: Req): unknown {
  if (!REST.test(routePath(req.url))) return undefined;
  const q = req.method === 'POST' ? (req.body as { query?: unknown } | undefined)?.query : req.query?.query;
  const parse = (x: unknown): unknown => {
    if (typeof x !== 'string') return x;
    try {
      return JSON.parse(x) as unknown;
    } catch {
      return undefined;
    }
  };
  return Array.isArray(q) ? q.map(parse) : parse(q);
}

/** Warehouse queries a REST `query` (object, array, or its JSON text) runs: 1 when it cannot be read (Cube answers that itself). */
export function restQueryCount(query: unknown): number {
  let q = query;
  if (typeof q === 'string') {
    try {
      q = JSON.parse(q) as unknown;
    } catch {
      return 1;
    }
  }
  if (Array.isArray(q)) return Math.max(1, q.length);
  if (!q || typeof q !== 'object') return 1;
  const tds = (q as { timeDimensions?: unknown }).timeDimensions;
  if (!Array.isArray(tds)) return 1;
  let n = 1;
  for (const td of tds) {
    const ranges = td && typeof td === 'object' ? (td as { compareDateRange?: unknown }).compareDateRange : undefined;
    if (Array.isArray(ranges)) n = Math.max(n, ranges.length);
  }
  return n;
}

/**
 * `cube` fields in a GraphQL document, fragments included: every field that executes appears in
 * the text under its own response key, so this bounds the loads it runs. 1 when it does not parse
 * (Cube answers that itself).
 */
export function graphqlCubeFields(document: unknown): number {
  if (typeof document !== 'string') return 1;
  let n = 0;
  try {
    graphql.visit(graphql.parse(document, { noLocation: true }), {
      Field: (node) => {
        if (node.name.value === 'cube') n++;
      },
    });
  } catch {
    return 1;
  }
  return Math.max(1, n);
}

type Req = IncomingMessage & { body?: unknown; query?: Record<string, unknown> };
type Next = (err?: unknown) => void;

/**
 * Matched on the path as express's router reads it (routePath: absolute-form targets, any case,
 * a trailing slash): a guard stricter than the router is one a caller walks around (`/v1/LOAD`,
 * `/GraphQL` or `GET http://host/cubejs-api/v1/load` ran any number of queries: fifth security
 * review). `subscribe` is Cube's load under another name.
 */
const GRAPHQL = /^\/cubejs-api\/graphql\/?$/;
const REST = /^\/cubejs-api\/v1\/(load|subscribe|sql|dry-run)\/?$/;

/** The number a request asks for, or undefined when it is not a data request. */
export function queriesOf(req: Req): number | undefined {
  const path = routePath(req.url);
  if (GRAPHQL.test(path)) {
    const body = req.body as { query?: unknown } | undefined;
    const text = req.method === 'POST' ? body?.query : req.query?.query;
    return Array.isArray(text) ? text.reduce<number>((sum, t) => sum + graphqlCubeFields(t), 0) : graphqlCubeFields(text);
  }
  if (REST.test(path)) {
    const q = req.method === 'POST' ? (req.body as { query?: unknown } | undefined)?.query : req.query?.query;
    // Repeated ?query= parameters (express's qs reads an array): each one counts.
    return Array.isArray(q) && q.every((x) => typeof x === 'string') ? q.reduce<number>((sum, x) => sum + restQueryCount(x), 0) : restQueryCount(q);
  }
  return undefined;
}

/** Why a GraphQL request's document (or one of them) is refused, or undefined. */
function graphqlProblem(req: Req): string | undefined {
  if (!GRAPHQL.test(routePath(req.url))) return undefined;
  const text = req.method === 'POST' ? (req.body as { query?: unknown } | undefined)?.query : req.query?.query;
  for (const t of Array.isArray(text) ? text : [text]) {
    const problem = graphqlShapeProblem(t);
    if (problem) return problem;
  }
  return undefined;
}

/** Why the request's dates are refused (date-filters.ts), on the query as sent. */
function datesProblem(req: Req): string | undefined {
  const path = routePath(req.url);
  const text = req.method === 'POST' ? (req.body as { query?: unknown } | undefined)?.query : req.query?.query;
  const each = Array.isArray(text) ? text : [text];
  if (GRAPHQL.test(path)) return each.map(graphqlDateProblem).find(Boolean);
  if (REST.test(path)) return each.map((q) => queryDateProblem(q)).find(Boolean);
  return undefined;
}

/**
 * Express middleware (after the JSON body parser, before the answer cache and Cube): a request
 * that would run more than `max` warehouse queries is a 400 naming both numbers. GraphQL is read
 * from JSON bodies and GET only: express-graphql would parse other body types itself, after this
 * check, so a POST to /graphql of another type is a 415.
 */
export function queryFanoutGuard(max = MAX_QUERIES_PER_REQUEST) {
  return (req: Req, res: ServerResponse, next: Next): void => {
    const json = (status: number, error: string): void => {
      const r = res as ServerResponse & { status?: (s: number) => { json: (b: unknown) => void } };
      // Through express's res.json, so the API boundary adds the request id like every error.
      if (typeof r.status === 'function') r.status(status).json({ error, type: 'UserError' });
      else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error }));
    };
    if (req.method === 'POST' && GRAPHQL.test(routePath(req.url)) && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      json(415, 'GraphQL requests are accepted as application/json (POST) or as ?query= (GET).');
      return;
    }
    // Aliases that repeat a field, and introspection nested past GraphiQL's (graphql-shape.ts).
    const shape = graphqlProblem(req);
    if (shape) {
      json(400, shape);
      return;
    }
    // Before anything walks it (the answer cache's key, Cube): a nesting that would overflow the stack.
    const depth = jsonDepth(restQueryOf(req));
    if (depth > MAX_QUERY_DEPTH) {
      json(400, `This query nests more than ${MAX_QUERY_DEPTH} levels deep (filters inside "or" and "and" count); write it with fewer levels.`);
      return;
    }
    // A date that does not exist, or a range that runs backwards, answered 200 with no rows.
    const dates = datesProblem(req);
    if (dates) {
      json(400, dates);
      return;
    }
    const n = queriesOf(req);
    if (n !== undefined && n > max) {
      json(400, `This request asks for ${n} queries; one request may run at most ${max} (query arrays, compareDateRange ranges and GraphQL cube fields each count). Send them in separate requests.`);
      return;
    }
    next();
  };
}
