/**
 * Worker thread: grows the trees the pool asks for on the shared bin matrix and sends each back
 * with its buffers transferred (no copy). Protocol: receives a tree index or null (stop).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TreeGrower, treeTransferList } from './grow-tree.ts';
import { treeSeed } from './rng.ts';
import type { WorkerInit, WorkerResult } from './pool.ts';

const port = parentPort;
if (port === null) throw new Error('train-worker.ts must run in a worker thread');
const init = workerData as WorkerInit;
const grower = new TreeGrower(init.data, init.params);

port.on('message', (treeIndex: number | null) => {
  if (treeIndex === null) {
    port.close();
    return;
  }
  const tree = grower.grow(treeSeed(init.seed, treeIndex));
  const result: WorkerResult = { treeIndex, tree };
  port.postMessage(result, treeTransferList(tree));
});
