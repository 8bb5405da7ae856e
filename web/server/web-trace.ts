import { createWriteStream } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * CRM_DASHBOARD_TRACE=<file>: where a dashboard request's time goes before its first byte (issue 17:
 * under 50 users with loads the cockpit's HTML came after p50 1.9 s, p95 3.8 s). One JSON line per
 * request (hooks.server.ts: the route id, the session check's ms, the ms until SvelteKit handed
 * back the response, i.e. the first byte), and one per second with the event loop's delay (p50,
 * p99, max ms) — a loop held by other work delays every request of the process. On the epoch clock
 * of the engine's and the semantic layer's traces (CRM_EMBEDDED_TRACE, CRM_SEMANTIC_TRACE).
 *
 * Never in it: cookies, users, query strings, data.
 */
export function openWebTrace(file: string | undefined): { trace: (event: string, fields: Record<string, unknown>) => void; close(): Promise<void> } | undefined {
  if (!file) return undefined;
  const out = createWriteStream(file, { flags: 'a', mode: 0o600 });
  let broken = false;
  // A trace that cannot be written must not take the dashboard down: it stops tracing instead.
  out.on('error', () => (broken = true));
  const trace = (event: string, fields: Record<string, unknown>): void => {
    if (!broken) out.write(`${JSON.stringify({ t: Date.now(), ev: event, ...fields })}\n`);
  };
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const timer = setInterval(() => {
    const ms = (ns: number): number => Math.round(ns / 1e5) / 10;
    trace('event loop', { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) });
    loop.reset();
  }, 1000);
  timer.unref();
  return {
    trace,
    close: () => {
      clearInterval(timer);
      loop.disable();
      return new Promise<void>((done) => out.end(() => done()));
    },
  };
}
