/**
 * Worker threads that score blocks of churn rows (churn-rows-worker.ts). The probabilities,
 * reasons and their text are ~40% of scoring's CPU and independent per customer, so two workers
 * could take the blocks while this thread keeps the embedded endpoint's inserts moving. Opt-in
 * (scoreChurn's `threads`): measured on 2 cores they were slower and dearer than one thread
 * (models/churn/forest/README.md, "Scoring end to end").
 */
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../churn/forest/worker-start.ts';
import type { LoadedChurnModel } from '../churn/registry.ts';
import type { RowContext, RowSet } from './churn-rows.ts';
import type { RowsJob, RowsReply, RowsWorkerInit } from './churn-rows-worker.ts';

export class ChurnRowsPool {
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, { resolve: (r: { body: Uint8Array; probability: Float64Array }) => void; reject: (e: Error) => void }>();
  #nextId = 0;
  #failed: Error | null = null;

  constructor(model: LoadedChurnModel, features: readonly string[], ctx: RowContext, size: number) {
    if (!model.forest) throw new Error('ChurnRowsPool scores forest models only');
    const init: RowsWorkerInit = { file: { ...model.file, forest: undefined }, forest: model.forest.toJSON(), features: [...features], ctx };
    for (let k = 0; k < size; k++) {
      const w = startModuleWorker(new URL('./churn-rows-worker.ts', import.meta.url), init);
      w.on('message', (reply: RowsReply) => {
        const p = this.#pending.get(reply.id);
        if (!p) return;
        this.#pending.delete(reply.id);
        if ('error' in reply) p.reject(new Error(`churn scoring worker failed: ${reply.error}`));
        else p.resolve({ body: reply.body, probability: reply.probability });
      });
      w.on('error', (error) => this.#fail(error instanceof Error ? error : new Error(String(error))));
      w.on('exit', (code) => {
        if (this.#pending.size > 0) this.#fail(new Error(`churn scoring worker exited with code ${code} with blocks unfinished`));
      });
      this.#workers.push(w);
    }
  }

  get size(): number {
    return this.#workers.length;
  }

  #fail(error: Error): void {
    this.#failed ??= error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }

  /** Rows [start, end) of set, on worker `k % size`: their lines as UTF-8 and their probabilities. */
  score(k: number, set: RowSet, start: number, end: number): Promise<{ body: Uint8Array; probability: Float64Array }> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#nextId++;
    const job: RowsJob = { id, columns: set.columns.map((c) => c.slice(start, end)), customerIds: set.customerIds.slice(start, end) };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // The column copies move to the worker instead of being copied a second time.
      this.#workers[k % this.#workers.length].postMessage(job, job.columns.map((c) => c.buffer as ArrayBuffer));
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
