/**
 * A built asset gone or unreadable must cost one request, not the server (session 8: a rebuild of
 * web/build deleted a file adapter-node had listed, and its read stream's ENOENT ended `npm start`).
 * adapter-node's real handler, from a copy of web/build (the shared build is never touched), behind
 * web/server/static-guard.ts as web/server.ts puts it, on a loopback port, in this process: an
 * unhandled stream error would end the test process itself.
 */
import assert from 'node:assert/strict';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUILD_DIR, ensureWebBuild } from '../../web/server/build.ts';
import { staticGuard } from '../../web/server/static-guard.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
type Handler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

let dir: string;
let server: Server;
let base: string;
let chunks: string[];
const logged: string[] = [];

before(async () => {
  await ensureWebBuild();
  dir = mkdtempSync(join(tmpdir(), 'crm-static-guard-'));
  // The build's real directory: web/build is a symlink, and copying it would copy the link.
  cpSync(realpathSync(BUILD_DIR), join(dir, 'build'), { recursive: true });
  // The handler's bare imports (@sveltejs/kit …) resolve from the repository's packages.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  // …and its .js files are ES modules, as the repository's package.json says for web/build.
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  const { handler } = (await import(pathToFileURL(join(dir, 'build', 'handler.js')).href)) as { handler: Handler };
  const guard = staticGuard(join(dir, 'build', 'client'), (l) => logged.push(l));
  server = createServer((req, res) => {
    if (guard(req, res)) return;
    handler(req, res, () => res.writeHead(404).end('Not found'));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  chunks = readdirSync(join(dir, 'build', 'client', '_app', 'immutable', 'chunks')).filter((f) => f.endsWith('.js'));
  assert.ok(chunks.length >= 3, `the build has chunks: ${chunks.join(', ')}`);
});

after(async () => {
  server?.closeAllConnections();
  await new Promise((ok) => server?.close(ok));
  rmSync(dir, { recursive: true, force: true });
});

/** Status of a GET, or the error that cut it. */
function get(path: string): Promise<number | string> {
  return new Promise((ok) => {
    const req = request(`${base}${path}`, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode ?? 0));
      res.on('error', (e) => ok(e.message));
    });
    req.on('error', (e) => ok(e.message));
    req.end();
  });
}

const chunkPath = (name: string): string => `/_app/immutable/chunks/${name}`;
const chunkFile = (name: string): string => join(dir, 'build', 'client', '_app', 'immutable', 'chunks', name);

// A bound, not a speed check: without the guard the cut answer never ends, and the test must fail, not hang.
const BOUND = { timeout: 60_000 };

test('a built file deleted after the server listed it answers 404, and the server goes on serving', BOUND, async () => {
  const [gone, other] = chunks;
  assert.equal(await get(chunkPath(gone)), 200);
  unlinkSync(chunkFile(gone));
  assert.equal(await get(chunkPath(gone)), 404);
  assert.ok(
    logged.some((l) => l.includes(`${chunkPath(gone)} is listed in the build but gone: answered 404`)),
    logged.join('\n'),
  );
  assert.equal(await get(chunkPath(other)), 200);
});

test('a file that fails once opened (a directory in its place) cuts that answer only', BOUND, async () => {
  const odd = chunks[2];
  unlinkSync(chunkFile(odd));
  // readable for access(), but the read stream fails with EISDIR after sirv sent the status line
  mkdirSync(chunkFile(odd));
  const answer = await get(chunkPath(odd));
  assert.notEqual(answer, 200, 'not a whole answer');
  assert.ok(
    logged.some((l) => l.includes(`${chunkPath(odd)} could not be read (EISDIR)`)),
    logged.join('\n'),
  );
  assert.equal(await get(chunkPath(chunks[1])), 200);
  assert.equal(await get('/_app/immutable/chunks/never-built.js'), 404);
});
