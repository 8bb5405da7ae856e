import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InputError } from '../core/input-error.ts';
import type { EntityName } from '../entities/types.ts';
import type { Batch } from '../load/batch.ts';
import type { Mapping } from '../mapping/mapping-file.ts';
import { MappingError } from '../mapping/mapping-file.ts';
import { fromParts, toParts, type BatchParts } from './batch-transfer.ts';
import { BUNDLE_DIR, bundled } from './worker-bundle.ts';

/** What the parse worker is asked to do: the same inputs the job's own reader and encoder get. */
export interface ParseJob {
  entity: EntityName;
  mapping: Mapping;
  source: string | undefined;
  file: string;
  format: 'csv' | 'ndjson';
  gzip: boolean;
  tsv: boolean;
  runVersion: number;
  batchSize: number;
  maxBatchBytes: number;
  /** Facts: leave every customer reference for the main thread's lookup. */
  refs: boolean;
  maxBatches: number;
}

export type FromWorker =
  | { type: 'unknown'; names: string[] }
  | { type: 'progress'; bytesRead: number; rowsRead: number; rowsRejected: number }
  | { type: 'batch'; parts: BatchParts; sources: string[] }
  | { type: 'done'; derived: string | undefined; cpuSeconds: number }
  | { type: 'error'; name: string; message: string; stack?: string };

export interface ParsedSink {
  unknown(names: readonly string[]): void;
  /** Rows read and rejected so far by the parser (batches not yet written included). */
  progress(bytesRead: number, rowsRead: number, rowsRejected: number): void;
  /** One batch, in input order; the next is handed over only after this promise settles. */
  batch(b: Batch): Promise<void>;
}

/**
 * Parsing, validation and encoding of a large file in a worker thread (parse-worker.ts), so that
 * they overlap the main thread's reference lookups, duplicate decisions and the engine's insert:
 * on two cores the main thread was the bound (≈ 4.7 of ≈ 10 CPU-seconds per million rows, the
 * rest the engine's). Rows, rejects and messages are the ones the in-thread path produces: the
 * worker runs the same reader and RowEncoder.
 *
 * The worker runs a bundle of its modules (worker-bundle.ts: one JavaScript file, rebuilt when a
 * source changes), else loads the TypeScript through tsx's API (workers do not inherit the main
 * thread's loader hooks on Node 20); where neither is available, `bootstrap()` says so and the job
 * parses in its own thread.
 */
export class ParseWorker {
  /** Inputs smaller than this are parsed in the job's thread: starting a worker costs ~0.2-0.5 s. */
  static minBytes = 16 << 20;
  /** Workers started in this process (tests check that a load really parsed in one). */
  static started = 0;
  /** Of those, started from the bundle (worker-bundle.ts) rather than through tsx. */
  static fromBundle = 0;
  /** Whether workers start from the bundle when one can be made (tests run both ways). */
  static useBundle = true;
  /** CPU seconds the workers of this process spent (Linux; the benchmark reports them beside the main thread's). */
  static cpuSeconds = 0;
  /** After run: which ids the reader formed itself (see RowReader.describeDerived). */
  derived: string | undefined;
  #worker: Worker | undefined;

  constructor(
    readonly job: ParseJob,
    /** The main thread's tag of a source (RefResolver.tagOf). */
    readonly tagOf: ((source: string) => number) | undefined,
  ) {}

  static #bootstrap: string | null | undefined;

  /** The worker's bootstrap code, or null when this installation cannot start one. */
  static bootstrap(): string | null {
    if (ParseWorker.#bootstrap !== undefined) return ParseWorker.#bootstrap;
    try {
      const entry = new URL('./parse-worker.ts', import.meta.url);
      if (entry.protocol !== 'file:') return (ParseWorker.#bootstrap = null);
      const api = import.meta.resolve('tsx/esm/api');
      ParseWorker.#bootstrap = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
    } catch {
      ParseWorker.#bootstrap = null;
    }
    return ParseWorker.#bootstrap;
  }

  static #bundle: Promise<string | undefined> | undefined;

  /**
   * The worker's code as one JavaScript file (worker-bundle.ts), built once per process when its
   * sources changed; undefined where none can be made (the worker then loads through tsx).
   */
  static bundle(): Promise<string | undefined> {
    ParseWorker.#bundle ??= bundled(fileURLToPath(new URL('./parse-worker.ts', import.meta.url)), BUNDLE_DIR).catch(() => undefined);
    return ParseWorker.#bundle;
  }

  /** Runs the worker to the end of the input; rejects with the reader's error (same class and message) or the sink's. */
  async run(sink: ParsedSink): Promise<void> {
    const code = ParseWorker.bootstrap();
    if (code === null) throw new Error('the parse worker cannot start here');
    const bundle = ParseWorker.useBundle ? await ParseWorker.bundle() : undefined;
    const worker = bundle ? new Worker(new URL(bundle), { workerData: this.job }) : new Worker(code, { eval: true, workerData: this.job });
    if (bundle) ParseWorker.fromBundle++;
    ParseWorker.started++;
    this.#worker = worker;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let chain: Promise<void> = Promise.resolve();
      const fail = (e: unknown): void => {
        if (settled) return;
        settled = true;
        void worker.terminate();
        reject(e instanceof Error ? e : new Error(String(e)));
      };
      const handle = async (m: FromWorker): Promise<void> => {
        if (settled) return;
        switch (m.type) {
          case 'unknown':
            sink.unknown(m.names);
            return;
          case 'progress':
            sink.progress(m.bytesRead, m.rowsRead, m.rowsRejected);
            return;
          case 'batch': {
            const b = fromParts(m.parts);
            if (this.tagOf && b.pendingCount > 0) {
              // The worker's source tags are its own: map them to the lookup's.
              const tags = m.sources.map((s) => this.tagOf!(s));
              const pending = b.pendingRef;
              const refTag = b.refTag;
              for (let r = 0; r < b.rows; r++) if (pending[r] === -2) refTag[r] = tags[refTag[r]];
            }
            await sink.batch(b);
            return;
          }
          case 'done':
            this.derived = m.derived;
            ParseWorker.cpuSeconds += m.cpuSeconds;
            settled = true;
            await worker.terminate();
            resolve();
            return;
          case 'error':
            fail(workerError(m));
            return;
        }
      };
      worker.on('message', (m: FromWorker) => {
        chain = chain.then(() => handle(m)).catch(fail);
      });
      worker.on('error', fail);
      worker.on('exit', (code) => {
        // After its messages: an exit before 'done' is a crash.
        chain = chain.then(() => fail(new Error(`the parse worker stopped (exit code ${code}) before the end of the input`)));
      });
    });
  }

  /** Gives a written batch back to the worker to fill again (the caller has emptied it). */
  recycle(b: Batch): void {
    const w = this.#worker;
    if (!w) return;
    const { parts, transfer } = toParts(b);
    try {
      w.postMessage({ type: 'recycle', parts }, transfer);
    } catch {
      // the worker has ended: the batch is not needed any more
    }
  }

  /** Stops the worker (a load that failed elsewhere). */
  async stop(): Promise<void> {
    await this.#worker?.terminate();
  }
}

function workerError(m: { name: string; message: string; stack?: string }): Error {
  const e = m.name === 'InputError' ? new InputError(m.message) : m.name === 'MappingError' ? new MappingError(m.message) : new Error(m.message);
  if (m.stack) e.stack = m.stack;
  return e;
}
