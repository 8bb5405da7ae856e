import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { listBuilds } from './build-dirs.js';

/**
 * A tab opened before a rebuild and a restart still runs the old build's client code, which loads
 * its chunks lazily (`/_app/immutable/…`, names hashed by content) on the next navigation. The new
 * build has other names, so those requests found nothing and the navigation failed into a full
 * reload, or an error page. Such a request is answered from the previous builds kept under
 * web/builds (build-dirs.js keeps a few), newest first. Only immutable assets: pages, data and
 * version.json always come from the build this server runs.
 */
const IMMUTABLE = /^\/_app\/immutable\/(?:[A-Za-z0-9_@-][A-Za-z0-9_.@-]*\/)*[A-Za-z0-9_@-][A-Za-z0-9_.@-]*$/;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
};

/** `builds`: the build directories to look in, newest first (default: web/builds). */
export function previousAssets(
  currentDir: string,
  log: (line: string) => void,
  builds: () => string[] = listBuilds,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const currentClient = join(currentDir, 'client');
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = (req.url ?? '').split('?')[0];
    // Hashed names have no escapes, dots only inside a segment (no `..`, no `.hidden`): anything else is not ours.
    if (!IMMUTABLE.test(path) || path.includes('..')) return false;
    if (fileSize(join(currentClient, path)) !== undefined) return false;
    for (const dir of builds()) {
      if (dir === currentDir) continue;
      const client = join(dir, 'client');
      const file = join(client, path);
      if (!file.startsWith(client + sep)) continue;
      const size = fileSize(file);
      if (size === undefined) continue;
      res.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': size,
        // The same cache rule as adapter-node's own immutable assets: the name changes with the content.
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
      });
      if (req.method === 'HEAD') {
        res.end();
        return true;
      }
      const stream = createReadStream(file);
      stream.once('error', (err: NodeJS.ErrnoException) => {
        // Pruned between the check and the read: the status line is out, end this answer only.
        log(`previous build's ${path} could not be read (${err.code ?? err.message}); the request is cut`);
        res.destroy();
      });
      stream.pipe(res);
      return true;
    }
    return false;
  };
}

/** The size of the regular file at `path`; undefined for no such file or a directory. */
function fileSize(path: string): number | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    // ENOENT, ENOTDIR (a file's name used as a folder), EACCES: nothing to serve from here.
    return undefined;
  }
}
