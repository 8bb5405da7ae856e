/**
 * Fourth security review: a webhook receiver (the campaign tool, the chat hook — or whatever
 * answers at its address) that answers with an endless body. The product read every answer whole
 * (`res.text()`), so such an answer held the web process (a segment push) or the worker (alerts)
 * until the timeout, with everything sent so far in memory. Now at most ANSWER_BYTES are read and
 * the status decides, as it should. A real receiver on loopback; the bound is checked by what the
 * product reports, not by time.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { postSignedJson, WebhookError } from '../../lib/webhook/index.ts';
import { ANSWER_BYTES } from '../../lib/webhook/post.ts';

let receiver: Server;
let url: string;
let status = 500;
/** Bytes the receiver managed to send per request, once the product closed the connection. */
const sent: number[] = [];

const CHUNK = Buffer.alloc(64 * 1024, 'x');

/** Writes forever (with backpressure) until the client goes away. */
function endless(res: ServerResponse): void {
  let n = 0;
  let open = true;
  res.on('close', () => {
    open = false;
    sent.push(n);
  });
  const pump = (): void => {
    while (open) {
      n += CHUNK.length;
      if (!res.write(CHUNK)) {
        res.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

before(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      endless(res);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

after(async () => {
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

// The timeout is far above what reading 64 KB takes anywhere: reaching it means the answer was read to its (never) end.
const OPTS = { timeoutMs: 120_000 };

test('an endless error answer is a WebhookError with its status and a short excerpt, not a timeout', { timeout: 300_000 }, async () => {
  status = 500;
  const err = await postSignedJson(url, 'secret-secret-secret', 'd-1', '{"x":1}', OPTS).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof WebhookError, `a WebhookError, got ${String(err)}`);
  assert.equal(err.status, 500);
  assert.ok(err.retryable, '500 is retried');
  assert.match(err.message, /^webhook answered HTTP 500: x{200}$/);
});

test('an endless 200 answer is a delivery', { timeout: 300_000 }, async () => {
  status = 200;
  assert.equal(await postSignedJson(url, 'secret-secret-secret', 'd-2', '{"x":1}', OPTS), 200);
  assert.ok(ANSWER_BYTES <= 1024 * 1024, 'the bound is small');
});
