import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lineLog, partLogger } from '../../lib/log.ts';
import { acquireBuildLock } from './build-lock.ts';
import { BUILD_LINK } from './build-dirs.js';

/**
 * The dashboard is served from adapter-node's build in web/build. `npm start` builds it when it is
 * missing or older than its sources (a minute on two cores), so a fresh clone needs no extra step
 * and an edited page is never served stale. web/build is a symlink to the current build under
 * web/builds: a build lands beside the previous one and replaces it atomically (build-dirs.js).
 */
export const WEB_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUILD_DIR = BUILD_LINK;
const HANDLER = join(BUILD_DIR, 'handler.js');
// The bundle also compiles what the pages import from outside web/: lib/ (formatting, periods,
// consent…) and alerts/. Without them a change to lib/format was served stale by a build that
// looked current.
const SOURCES = ['src', 'svelte.config.js', 'vite.config.ts', join('..', 'package.json'), join('..', 'lib'), join('..', 'alerts')];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, name)));
  }
  return newest;
}

/** Why a build is needed, or undefined when web/build is current. */
export function buildIsStale(): string | undefined {
  if (!existsSync(HANDLER)) return 'no build yet';
  const built = statSync(HANDLER).mtimeMs;
  const changed = SOURCES.find((s) => newestMtime(join(WEB_ROOT, s)) > built);
  return changed ? `${changed} changed since the last build` : undefined;
}

/**
 * Runs `vite build` in web/ (a child process: Vite's memory goes away with it) when needed.
 * Concurrent starts wait for one another through a lock directory (build-lock.ts: a dead owner's lock is taken over).
 */
export async function ensureWebBuild(opts: { log?: (line: string) => void; force?: boolean } = {}): Promise<{ built: boolean; ms: number }> {
  const log = opts.log ?? lineLog(partLogger('web'));
  const started = Date.now();
  const reason = opts.force ? 'forced' : buildIsStale();
  if (!reason) return { built: false, ms: 0 };
  const lock = join(WEB_ROOT, '.build-lock');
  const release = await acquireBuildLock(lock, log);
  try {
    // Another process may have built while we waited.
    if (!opts.force && !buildIsStale()) return { built: false, ms: Date.now() - started };
    log(`building the dashboard (${reason}); this takes about a minute…`);
    const buildStarted = new Date();
    const vite = join(WEB_ROOT, '..', 'node_modules', 'vite', 'bin', 'vite.js');
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
        cwd: WEB_ROOT,
        env: { ...process.env, NODE_ENV: 'production' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      const keep = (chunk: Buffer): void => {
        output = (output + chunk.toString('utf8')).slice(-20_000);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const tick = setInterval(() => log(`  still building… ${Math.round((Date.now() - started) / 1000)} s`), 15_000);
      child.on('error', (err) => {
        clearInterval(tick);
        reject(err);
      });
      child.on('exit', (code, signal) => {
        clearInterval(tick);
        if (code === 0) resolve();
        // Vite 8's native bundler sometimes crashes while tearing down, after the adapter has
        // written the whole build and said so: that build is complete, so keep it.
        else if (crashedAfterWriting(code, signal, output, started)) {
          log(`vite exited by ${signal ?? `code ${code}`} after writing the build; the build is complete and kept`);
          resolve();
        } else reject(new Error(`vite build failed (${signal ? `signal ${signal}` : `exit ${code}`}):\n${output.trim()}`));
      });
    });
    // The build holds the sources as they were when it started: stamped with that time, a source
    // edited while Vite ran is newer than the build and the next start builds again (stamped with
    // its end, such an edit was served stale as "current").
    utimesSync(HANDLER, buildStarted, buildStarted);
    log(`dashboard built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { built: true, ms: Date.now() - started };
  } finally {
    release();
  }
}

/** A crash (SIGSEGV, or 139 through a shell) after adapter-node printed "done" and wrote its handler in this build. */
export function crashedAfterWriting(code: number | null, signal: NodeJS.Signals | null, output: string, startedMs: number): boolean {
  const crashed = signal === 'SIGSEGV' || signal === 'SIGBUS' || code === 139;
  return crashed && /✔ done/.test(output) && existsSync(HANDLER) && statSync(HANDLER).mtimeMs >= startedMs;
}
