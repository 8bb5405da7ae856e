import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * A TypeScript module and everything it imports from this repository as one plain JavaScript file,
 * built with esbuild (tsx's own copy) and kept until one of its sources changes: what the parse
 * worker thread loads instead of registering tsx's loader (issue 17 item 6).
 *
 * Why: a worker does not inherit the main thread's loader hooks (Node 20), so it registered tsx's,
 * which starts a loader thread and resolves and transforms each of the worker's ~50 modules
 * through it. Starting a worker on a 10-row file, load average 20: 0.60–0.73 process CPU-s and
 * 1.2–2.8 s wall that way, 0.19–0.21 CPU-s and 0.5–0.8 s from the bundle; every file load large
 * enough for the worker paid that before its first row was parsed.
 *
 * The file is named by a digest of the sources it was built from (the build's own list of inputs,
 * kept beside it), so a bundle is used only while every one of those files still has the content
 * it was built from; otherwise it is built again (≈ 0.1 CPU-s, in esbuild's process), and bundles
 * superseded a day ago or more are removed. Packages stay
 * imports (resolved from node_modules, as the sources do). Undefined when no bundle can be made
 * (esbuild missing, node_modules not writable): the caller falls back to tsx.
 */
export async function bundled(entry: string, outDir: string): Promise<string | undefined> {
  const name = basename(entry).replace(/\.[cm]?tsx?$/, '');
  const listFile = join(outDir, `${name}.inputs.json`);
  const inputs = await readFile(listFile, 'utf8')
    .then((t) => JSON.parse(t) as unknown)
    .catch(() => undefined);
  // The list names the entry it was built for: another checkout sharing node_modules keeps its own.
  if (Array.isArray(inputs) && inputs.every((x) => typeof x === 'string') && inputs.includes(resolve(entry))) {
    const digest = await digestOf(inputs as string[]);
    const file = digest && join(outDir, `${name}-${digest}.mjs`);
    if (file && (await readFile(file).then(() => true, () => false))) return pathToFileURL(file).href;
  }
  return build(entry, outDir, name, listFile);
}

async function build(entry: string, outDir: string, name: string, listFile: string): Promise<string | undefined> {
  const esbuild = esbuildOf();
  if (!esbuild) return undefined;
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    metafile: true,
    write: false,
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  const inputs = Object.keys(result.metafile!.inputs).map((p) => resolve(ROOT, p));
  const digest = await digestOf(inputs);
  if (!digest) return undefined;
  await mkdir(outDir, { recursive: true });
  const file = join(outDir, `${name}-${digest}.mjs`);
  // Written under a name of this process and renamed: a load starting meanwhile sees all of it or none.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, result.outputFiles![0].contents);
  await rename(tmp, file);
  await writeFile(`${listFile}.${process.pid}.tmp`, JSON.stringify(inputs));
  await rename(`${listFile}.${process.pid}.tmp`, listFile);
  // Earlier builds are of sources that changed since; one a process started with may still be
  // what its next worker starts from, so only day-old ones go.
  for (const f of await readdir(outDir).catch(() => [] as string[])) {
    const path = join(outDir, f);
    if (!f.startsWith(`${name}-`) || !f.endsWith('.mjs') || path === file) continue;
    const st = await stat(path).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > STALE_MS) await rm(path, { force: true });
  }
  return pathToFileURL(file).href;
}

/** sha256 over the files' paths and contents (16 hex digits); undefined when one cannot be read. */
async function digestOf(files: readonly string[]): Promise<string | undefined> {
  const h = createHash('sha256');
  for (const f of files) {
    const text = await readFile(f).catch(() => undefined);
    if (text === undefined) return undefined;
    h.update(f).update('\0').update(text).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ metafile?: { inputs: Record<string, unknown> }; outputFiles?: { contents: Uint8Array }[] }>;
}

/** tsx's esbuild (tsx is how this repository runs TypeScript, so it is installed wherever this runs). */
function esbuildOf(): Esbuild | undefined {
  try {
    const req = createRequire(fileURLToPath(import.meta.resolve('tsx/package.json')));
    return req('esbuild') as Esbuild;
  } catch {
    return undefined;
  }
}

/** How old a superseded bundle must be before a build removes it. */
export const STALE_MS = 24 * 3600 * 1000;

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/**
 * Where bundles are kept: node_modules/.cache, two levels below the repository like
 * lib/config/schema.ts, whose `new URL('../..', import.meta.url)` (the project root) then names the
 * same directory from inside the bundle. Packages resolve from node_modules as for the sources.
 */
export const BUNDLE_DIR = join(ROOT, 'node_modules', '.cache');
