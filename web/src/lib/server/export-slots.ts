/**
 * How many exports one account runs at once (seventh security review). An export streams every
 * matching customer from the semantic layer, 10,000 rows a query; without a bound, a script holding
 * one signed-in cookie started dozens at once, each a chain of full scans in the warehouse queue
 * that every page view shares. Two at a time per account (two tabs downloading, say) covers a
 * person; beyond, the export is refused with a 429 before any query runs.
 *
 * In the memory of the one web process, like the sign-in throttle. A slot is held from before the
 * first query until the file's stream has ended, failed or been cancelled (the browser went away),
 * and is given back exactly once whichever happens.
 */
import { serverLog } from './errors.ts';

export const EXPORTS_PER_ACCOUNT = 2;

const running = new Map<string, number>();

/** A slot for `account`, or undefined when it already runs `max` exports. The function gives it back (once). */
export function takeExportSlot(account: string, max: number = EXPORTS_PER_ACCOUNT): (() => void) | undefined {
  const n = running.get(account) ?? 0;
  if (n >= max) return undefined;
  running.set(account, n + 1);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    const left = (running.get(account) ?? 1) - 1;
    if (left > 0) running.set(account, left);
    else running.delete(account);
  };
}

/** Exports `account` runs now (tests and the refusal's message). */
export const exportsRunning = (account: string): number => running.get(account) ?? 0;

/**
 * The same bytes, with `release` called once the stream is done: read to its end, failed, or
 * cancelled by the server because the client went away. A cancel waits for the inner stream's own
 * cancel (the page query in flight finishes first), so the slot is free only when the warehouse
 * work it stood for is.
 */
export function releasedWhenDone(body: ReadableStream<Uint8Array>, release: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          release();
          controller.close();
        } else controller.enqueue(value);
      } catch (err) {
        release();
        controller.error(err);
      }
    },
    async cancel(reason) {
      try {
        await reader.cancel(reason);
      } finally {
        release();
      }
    },
  });
}

/**
 * Runs an export endpoint's work in one of the account's slots: a 429 when none is free, else the
 * answer with its body wrapped to give the slot back when the download is over (at once for an
 * answer without a body, or when the work throws).
 */
export async function inExportSlot(account: string, requestId: string, run: () => Promise<Response>): Promise<Response> {
  const release = takeExportSlot(account);
  if (!release) {
    serverLog().warn({ requestId, user: account, running: exportsRunning(account) }, 'export refused: too many at once for this account');
    return tooManyExports();
  }
  let response: Response;
  try {
    response = await run();
  } catch (err) {
    release();
    throw err;
  }
  if (!response.body) {
    release();
    return response;
  }
  return new Response(releasedWhenDone(response.body, release), { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** The answer to an export beyond the account's slots: nothing ran, nothing is audited. */
export function tooManyExports(max: number = EXPORTS_PER_ACCOUNT): Response {
  return new Response(`You have ${max} exports running. Wait until one of them has finished downloading, then start this one again.\n`, {
    status: 429,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '30' },
  });
}
