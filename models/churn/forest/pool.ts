/**
 * Grows a forest's trees, in this thread (nJobs = 1) or on nJobs worker threads that share the bin
 * matrix through SharedArrayBuffers. Tree t always uses seed treeSeed(seed, t), so the result does
 * not depend on nJobs or on scheduling.
 */
import type { Worker } from 'node:worker_threads';
import { TreeGrower, type GrownTree, type TrainingData, type TreeParams } from './grow-tree.ts';
import { treeSeed } from './rng.ts';
import { sharedCopy, startWorker } from './worker-start.ts';

export interface WorkerInit {
  data: TrainingData;
  params: TreeParams;
  seed: number;
}

export interface WorkerResult {
  treeIndex: number;
  tree: GrownTree;
}

/** Trees each worker has queued, so it never idles waiting for the next message. */
const IN_FLIGHT_PER_WORKER = 2;

export async function growTrees(data: TrainingData, params: TreeParams, seed: number, nTrees: number, nJobs: number): Promise<GrownTree[]> {
  const jobs = Math.max(1, Math.min(Math.floor(nJobs), nTrees));
  if (jobs === 1) {
    const grower = new TreeGrower(data, params);
    const trees: GrownTree[] = [];
    for (let t = 0; t < nTrees; t++) trees.push(grower.grow(treeSeed(seed, t)));
    return trees;
  }
  return growInWorkers(toShared(data), params, seed, nTrees, jobs);
}

/** Copies arrays that are not already on a SharedArrayBuffer (the bin matrix usually is). */
function toShared(data: TrainingData): TrainingData {
  return {
    ...data,
    bins: sharedCopy(data.bins),
    y: sharedCopy(data.y),
    weight: data.weight === null ? null : sharedCopy(data.weight),
  };
}


function growInWorkers(data: TrainingData, params: TreeParams, seed: number, nTrees: number, jobs: number): Promise<GrownTree[]> {
  const init: WorkerInit = { data, params, seed };
  const trees: (GrownTree | undefined)[] = new Array(nTrees);
  const workers: Worker[] = [];

  return new Promise<GrownTree[]>((resolve, reject) => {
    let next = 0;
    let done = 0;
    let settled = false;
    const finish = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      for (const w of workers) {
        if (err) void w.terminate();
        else w.postMessage(null);
      }
      if (err) reject(err);
      else resolve(trees as GrownTree[]);
    };
    const feed = (w: Worker): void => {
      if (next < nTrees) w.postMessage(next++);
    };
    for (let k = 0; k < jobs; k++) {
      const w = startWorker('train-worker', init);
      workers.push(w);
      w.on('message', (msg: WorkerResult) => {
        trees[msg.treeIndex] = msg.tree;
        done++;
        if (done === nTrees) finish(null);
        else feed(w);
      });
      w.on('error', (err) => finish(err instanceof Error ? err : new Error(String(err))));
      w.on('exit', (code) => {
        if (!settled) finish(new Error(`forest worker exited with code ${code} before training finished`));
      });
      for (let q = 0; q < IN_FLIGHT_PER_WORKER; q++) feed(w);
    }
  });
}
