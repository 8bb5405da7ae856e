/**
 * Worker threads that score blocks of feature rows (pendingRows: probabilities, contributions,
 * reasons and the rows' text), so scoring uses every core while this thread reads the engine's
 * answer and the engine computes the next shard.
 *
 * Why: at 1M customers the forest walk and the rows' text are 20–25 CPU-s of JavaScript, and on
 * this thread they were the longest chain of the run (the endpoint's bytes, the answer's parsing
 * and the inserts share it). Each worker loads the model once; a block is sent as its columns and
 * ids (a copy of ~10 MB per 32k rows, milliseconds) and comes back as transferred arrays. The
 * rows are the same bytes whatever thread built them (pendingRows is pure), and they are kept in
 * the order the blocks were read.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { FormatContext } from '../../lib/format/index.ts';
import type { ChurnModelFile, LoadedChurnModel } from '../churn/registry.ts';
import { startModuleWorker } from '../churn/forest/worker-start.ts';
import type { PendingRows, RowSet } from './churn-rows.ts';

export interface RowWorkerInit {
  file: ChurnModelFile;
  limit: number;
  format: FormatContext;
}

export interface RowWorkerTask {
  id: number;
  features: string[];
  columns: Float64Array[];
  customerIds: string[];
}

export type RowWorkerReply =
  | { id: number; rows: Omit<PendingRows, 'customerIds'>; error?: undefined }
  | { id: number; rows?: undefined; error: string; errorName: string };

/** Workers scoring uses by default: one per core, at most 4 (the engine needs cores too). */
export function defaultRowWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

interface Waiting {
  customerIds: string[];
  resolve: (rows: PendingRows) => void;
  reject: (error: Error) => void;
  worker: number;
}

export class RowWorkerPool {
  private readonly workers: Worker[] = [];
  private readonly busy: number[] = [];
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private failure: Error | undefined;
  private closed = false;

  /**
   * Starts `size` workers with the model. A model given in memory without its forest's JSON (tests,
   * the bench) sends the forest as the file would hold it.
   */
  constructor(model: LoadedChurnModel, size: number, limit: number, format: FormatContext) {
    if (!(Number.isInteger(size) && size >= 1))
      throw new RangeError(`row workers must be an integer >= 1, got ${size}`);
    const file: ChurnModelFile =
      model.file.forest || !model.forest ? model.file : { ...model.file, forest: model.forest.toJSON() };
    const init: RowWorkerInit = { file, limit, format: { locale: format.locale, currency: format.currency } };
    for (let k = 0; k < size; k++) {
      const w = startModuleWorker(new URL('./row-worker.ts', import.meta.url), init);
      w.on('message', (reply: RowWorkerReply) => this.settle(reply));
      w.on('error', (error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))));
      w.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`a scoring worker exited with code ${code} before the run ended`));
      });
      this.workers.push(w);
      this.busy.push(0);
    }
  }

  /** Rows [0, n) of set scored on the least busy worker. */
  score(set: RowSet): Promise<PendingRows> {
    if (this.closed) return Promise.reject(new Error('the scoring workers were closed'));
    if (this.failure) return Promise.reject(this.failure);
    let k = 0;
    for (let j = 1; j < this.workers.length; j++) if (this.busy[j] < this.busy[k]) k = j;
    const id = this.nextId++;
    const task: RowWorkerTask = { id, features: set.features, columns: set.columns, customerIds: set.customerIds };
    return new Promise<PendingRows>((resolve, reject) => {
      this.waiting.set(id, { customerIds: set.customerIds, resolve, reject, worker: k });
      this.busy[k]++;
      this.workers[k].postMessage(task);
    });
  }

  /** The first error of any worker (then every waiting and later block fails with it). */
  get error(): Error | undefined {
    return this.failure;
  }

  /** Stops the workers (blocks still waiting fail). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rejectAll(new Error('the scoring workers were closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private settle(reply: RowWorkerReply): void {
    const w = this.waiting.get(reply.id);
    if (!w) return;
    this.waiting.delete(reply.id);
    this.busy[w.worker]--;
    if (reply.error !== undefined) {
      // The worker's error as thrown there (a RangeError stays one by name), its stack left behind.
      const error = new Error(reply.error);
      error.name = reply.errorName;
      w.reject(error);
      this.fail(error);
      return;
    }
    const r = reply.rows;
    // Transferred Buffers arrive as plain Uint8Arrays.
    const bytes = Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
    w.resolve({ ...r, bytes, customerIds: w.customerIds });
  }

  private fail(error: Error): void {
    if (!this.failure) this.failure = error;
    this.rejectAll(this.failure);
  }

  private rejectAll(error: Error): void {
    for (const w of this.waiting.values()) w.reject(error);
    this.waiting.clear();
  }
}
