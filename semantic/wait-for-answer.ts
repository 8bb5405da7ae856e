import { request, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * One answer for plain HTTP clients. Cube answers a query that is not done within its
 * continueWaitTimeout (a few seconds: an uncached query on a fresh stack, a rollup being built)
 * with HTTP 200 `{"error":"Continue wait"}`, and only its own client library knows to ask again.
 * curl, a BI tool or a script took that for the answer (issue 13). So `/v1/load` and `/graphql`
 * ask Cube again here, over loopback, until the data is there or `waitSeconds` have passed; then
 * the caller gets a 504 saying what to do (security/errors.ts, type StillRunning).
 *
 * Clients that speak Cube's protocol (@cubejs-client/core) get the data in one answer too; one
 * that prefers to poll itself sends `x-cube-continue-wait: allow` and gets Cube's own answers.
 * That header also marks the loopback requests made here, so they are not waited on twice.
 *
 * Re-asking is how Cube's own client does it: the query keeps running in Cube's queue and the next
 * request for the same query joins it (no second execution).
 */
export const CONTINUE_WAIT_HEADER = 'x-cube-continue-wait';
export const CONTINUE_WAIT = 'Continue wait';

const WAITED_PATH = /^\/cubejs-api\/(v1\/load|graphql)\/?$/i;

export interface WaitOptions {
  /** Longest time a request is held before the 504. */
  waitSeconds: number;
  /** Where this server listens, once it does (the loopback requests go there). */
  self: () => { host: string; port: number } | undefined;
  /** Seconds Cube itself holds a request before "Continue wait": the granularity of the deadline. */
  pollSeconds?: number;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Cube's "not yet": REST answers it as 200 `{"error":"Continue wait"}`; GraphQL as an error we type StillRunning. */
export function isContinueWait(status: number, body: Buffer): boolean {
  if (status !== 200 && status !== 504) return false;
  let parsed: { error?: unknown; type?: unknown; errors?: { extensions?: { type?: unknown } }[] };
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch {
    return false;
  }
  if (status === 200 && parsed?.error === CONTINUE_WAIT) return true;
  return Array.isArray(parsed?.errors) && parsed.errors.some((e) => e?.extensions?.type === 'StillRunning');
}

// retry-after: a 429 of the account queues (security/account-queues.ts) says when to ask again.
const PASSED_HEADERS = ['content-type', 'x-request-id', 'cache-control', 'retry-after'];

function ask(target: { host: string; port: number }, req: IncomingMessage, body: Buffer | undefined, signal: AbortSignal): Promise<Answer> {
  const headers: Record<string, string> = { [CONTINUE_WAIT_HEADER]: 'allow' };
  for (const name of ['authorization', 'content-type', 'x-request-id']) {
    const v = req.headers[name];
    if (typeof v === 'string') headers[name] = v;
  }
  if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const r = request({ host: target.host, port: target.port, method: req.method, path: req.url, headers, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const out: Record<string, string> = {};
        for (const name of PASSED_HEADERS) {
          const v = res.headers[name];
          if (typeof v === 'string') out[name] = v;
        }
        resolve({ status: res.statusCode ?? 502, headers: out, body: Buffer.concat(chunks) });
      });
    });
    r.on('error', reject);
    r.end(body);
  });
}

type Next = (err?: unknown) => void;
interface JsonResponse extends ServerResponse {
  status(code: number): JsonResponse;
  json(body: unknown): unknown;
}

/**
 * Express middleware; runs after the JSON body parser (the body is re-sent as parsed, so the
 * loopback request carries exactly what Cube would have read) and before Cube's routes.
 */
export function waitForAnswer(opts: WaitOptions) {
  const waitMs = Math.max(0, opts.waitSeconds) * 1000;
  return (req: IncomingMessage & { body?: unknown }, res: ServerResponse, next: Next): void => {
    const path = (req.url ?? '/').split('?')[0];
    const target = opts.self();
    if (!WAITED_PATH.test(path) || req.headers[CONTINUE_WAIT_HEADER] === 'allow' || (req.method !== 'GET' && req.method !== 'POST') || !target) return next();
    const body = req.method === 'POST' ? Buffer.from(JSON.stringify(req.body ?? {})) : undefined;
    let hungUp = false;
    let inFlight: AbortController | undefined;
    // The caller hung up: stop asking (the query itself keeps running in Cube and is cached).
    res.on('close', () => {
      if (res.writableEnded) return;
      hungUp = true;
      inFlight?.abort();
    });
    const deadline = Date.now() + waitMs;
    // The bound holds even while Cube is busy before its own continue-wait starts (compiling the
    // model on a first request): the request in flight is dropped at the deadline.
    const stillRunning = (): void => {
      (res as JsonResponse).status(504).json(/graphql/i.test(path) ? { errors: [{ message: CONTINUE_WAIT }] } : { error: CONTINUE_WAIT });
    };
    void (async () => {
      for (;;) {
        const attempt = (inFlight = new AbortController());
        const timer = setTimeout(() => attempt.abort(), Math.max(0, deadline - Date.now()));
        let answer: Answer;
        try {
          answer = await ask(target, req, body, attempt.signal);
        } catch (err) {
          if (hungUp) return;
          if (attempt.signal.aborted) return stillRunning();
          return next(err);
        } finally {
          clearTimeout(timer);
        }
        if (hungUp) return;
        if (isContinueWait(answer.status, answer.body)) {
          if (Date.now() < deadline) continue;
          // REST: our 504 (the error boundary words it); GraphQL already carries it, typed StillRunning.
          if (answer.status === 200 && !/graphql/i.test(path)) return stillRunning();
        }
        res.writeHead(answer.status, answer.headers).end(answer.body);
        return;
      }
    })();
  };
}
