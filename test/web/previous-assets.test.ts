/**
 * web/server/previous-assets.ts answers a tab's request for a chunk of an earlier build from the
 * builds kept beside the current one, and nothing else: not pages, not files outside the builds'
 * client folders however the path is spelled. Real files in a temp dir, a real HTTP server.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { previousAssets } from '../../web/server/previous-assets.ts';

let root: string;
let server: Server;
let base: string;

function put(path: string, text: string): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'crm-previous-assets-'));
  put('builds/3-current/client/_app/immutable/nodes/1.CCC.js', 'current');
  put('builds/2-previous/client/_app/immutable/nodes/1.BBB.js', 'previous');
  put('builds/2-previous/client/_app/immutable/assets/a.BBB.css', 'body{}');
  put('builds/2-previous/client/_app/version.json', '{"version":"2"}');
  put('builds/2-previous/server/secret.js', 'server code');
  put('builds/1-oldest/client/_app/immutable/nodes/1.AAA.js', 'oldest');
  put('secret.txt', 'outside');
  const builds = ['3-current', '2-previous', '1-oldest'].map((b) => join(root, 'builds', b));
  const serve = previousAssets(builds[0], () => {}, () => builds);
  server = createServer((req, res) => {
    if (!serve(req, res)) res.writeHead(404).end('not here');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server?.closeAllConnections();
  await new Promise((ok) => server?.close(ok));
  rmSync(root, { recursive: true, force: true });
});

/** Status, content type and body of a GET sent with the path exactly as written. */
function get(path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(base, { path }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', fail);
    req.end();
  });
}

test("an earlier build's chunk is served from the newest build that has it, with its type", async () => {
  assert.deepEqual(await get('/_app/immutable/nodes/1.BBB.js'), { status: 200, type: 'text/javascript; charset=utf-8', body: 'previous' });
  assert.deepEqual(await get('/_app/immutable/nodes/1.AAA.js'), { status: 200, type: 'text/javascript; charset=utf-8', body: 'oldest' });
  assert.equal((await get('/_app/immutable/assets/a.BBB.css')).type, 'text/css; charset=utf-8');
});

test("the current build's own files and unknown names are left to the server's build", async () => {
  assert.equal((await get('/_app/immutable/nodes/1.CCC.js')).body, 'not here');
  assert.equal((await get('/_app/immutable/nodes/9.ZZZ.js')).body, 'not here');
});

test('only immutable assets: no version.json, no server code, nothing outside a client folder', async () => {
  for (const path of [
    '/_app/version.json',
    '/_app/immutable/../version.json',
    '/_app/immutable/../../server/secret.js',
    '/_app/immutable/%2e%2e/%2e%2e/server/secret.js',
    '/_app/immutable/..%2f..%2f..%2f..%2fsecret.txt',
    '/_app/immutable/nodes/..',
    '/_app/immutable/.hidden',
    '/_app/immutable/nodes/1.BBB.js/x',
    '/_app/immutable//nodes/1.BBB.js',
  ]) {
    const answer = await get(path);
    assert.equal(answer.body, 'not here', `${path} → ${answer.status} ${answer.body}`);
  }
});
