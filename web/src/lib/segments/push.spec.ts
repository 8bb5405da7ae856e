import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { signWebhook } from '../../../../lib/webhook/index.ts';
import { pushToWebhook } from './push.server.ts';

const servers: ReturnType<typeof createServer>[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

async function receiver(statuses: number[]) {
  const got: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(statuses[Math.min(got.length - 1, statuses.length - 1)]).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

describe('pushToWebhook', () => {
  it('signs the body and retries 5xx with the same push id', async () => {
    const rx = await receiver([503, 500, 200]);
    const lines: string[] = [];
    const r = await pushToWebhook({ segment: 'x', members: ['C1'] }, { url: rx.url, secret: 's3cret', sleep: async () => {}, log: (l) => lines.push(l) });
    expect(r).toMatchObject({ ok: true, attempts: 3, status: 200 });
    expect(rx.got).toHaveLength(3);
    const h = rx.got[2].headers;
    expect(h['x-crm-signature']).toBe(signWebhook('s3cret', Number(h['x-crm-timestamp']), rx.got[2].body));
    expect(new Set(rx.got.map((g) => g.headers['x-crm-delivery-id']))).toEqual(new Set([r.pushId]));
    expect(lines).toHaveLength(3);
  });
  it('retries 408, 425 and 429 like a 5xx (lib/webhook policy)', async () => {
    const rx = await receiver([408, 425, 429, 204]);
    const r = await pushToWebhook({}, { url: rx.url, secret: 's', sleep: async () => {}, log: () => {} });
    expect(r).toMatchObject({ ok: true, attempts: 4, status: 204 });
  });
  it('does not retry a 4xx', async () => {
    const rx = await receiver([400]);
    const r = await pushToWebhook({}, { url: rx.url, secret: 's', sleep: async () => {}, log: () => {} });
    expect(r).toMatchObject({ ok: false, attempts: 1, status: 400 });
  });
});
