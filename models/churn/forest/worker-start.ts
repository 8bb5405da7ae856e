/** Starting this folder's worker threads, and sharing typed arrays with them. */
import { Worker } from 'node:worker_threads';

/**
 * Starts worker module `name` (train-worker, score-worker) of this folder. Compiled to JS it is a
 * plain .js worker. Under tsx it is .ts, and node 20 does not apply a worker's `--import tsx`
 * hooks to the worker's own entry module (ERR_UNKNOWN_FILE_EXTENSION), so a one-line bootstrap
 * registers tsx through its API first and then imports the worker. Absolute URLs make this work
 * whatever the cwd, under `tsx` as under `node --import tsx`.
 */
export function startWorker(name: 'train-worker' | 'score-worker', workerData: unknown): Worker {
  return startModuleWorker(new URL(`./${name}.ts`, import.meta.url), workerData);
}

/**
 * Starts the worker module at `entry` (a .ts URL next to its caller: `new URL('./x.ts',
 * import.meta.url)`), the same way under tsx and compiled (then the .js beside it).
 */
export function startModuleWorker(entry: URL, workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(entry.href.replace(/\.ts$/, '.js')), { workerData });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData, execArgv: [] });
}

type SharableArray = Uint8Array | Int32Array | Float32Array | Float64Array;

/** The array itself when it already lives on a SharedArrayBuffer, else a shared copy. */
export function sharedCopy<T extends SharableArray>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer) => T;
  const copy = new Ctor(new SharedArrayBuffer(a.byteLength));
  copy.set(a as never);
  return copy;
}
