import { accessSync, constants, readdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/**
 * adapter-node serves web/build/client through sirv, which lists the files once at start and
 * later pipes `fs.createReadStream(file)` into the response with no 'error' listener: a listed
 * file deleted (a rebuild of web/build) or made unreadable since then threw ENOENT/EACCES out of
 * the event loop and ended the whole `npm start` (session 8). This answers such a request itself
 * (404 for a file gone, 500 for one it cannot read) before sirv sees it, and catches a read
 * stream's error on any response that goes wrong after the check (the file removed in between).
 */
export function staticGuard(
  clientDir: string,
  log: (line: string) => void,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const listed = new Set(listFiles(clientDir));
  return (req, res) => {
    res.on('pipe', (source: Readable) => {
      source.once('error', (err: NodeJS.ErrnoException) => {
        log(`static file ${req.url?.split('?')[0]} could not be read (${err.code ?? err.message}); the request is cut`);
        // The status line is out already (sirv writes it before it opens the file): end this answer only.
        res.destroy();
      });
    });
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    let path: string;
    try {
      path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    } catch {
      return false;
    }
    if (!listed.has(path)) return false;
    try {
      accessSync(join(clientDir, path), constants.R_OK);
      return false;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      log(
        `static file ${path} is listed in the build but ${code === 'ENOENT' ? 'gone' : `unreadable (${code})`}: answered ${code === 'ENOENT' ? 404 : 500}`,
      );
      if (code === 'ENOENT') res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      else res.writeHead(500, { 'content-type': 'text/plain' }).end('This file cannot be read');
      return true;
    }
  };
}

/** Every file under `dir` as a URL path ("/_app/immutable/…"), as sirv lists them. */
function listFiles(dir: string, prefix = ''): string[] {
  let entries;
  try {
    entries = readdirSync(join(dir, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? listFiles(dir, `${prefix}/${e.name}`) : [`${prefix}/${e.name}`]));
}
