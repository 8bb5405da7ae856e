/**
 * Worker thread of scoring (row-workers.ts): builds the model once from its file, then turns each
 * block of feature rows it is sent into pendingRows (probabilities, contributions, reasons, the
 * rows' UTF-8 text) and sends them back, their arrays transferred rather than copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadedChurnModelOf } from '../churn/registry.ts';
import { pendingRows } from './churn-rows.ts';
import type { RowWorkerInit, RowWorkerReply, RowWorkerTask } from './row-workers.ts';

const init = workerData as RowWorkerInit;
const model = loadedChurnModelOf(init.file, 'the scoring run’s model');
const port = parentPort!;

/** Buffers to hand over: those of the result's typed arrays, except small ones (Node's shared Buffer pool). */
function transferables(result: object): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of Object.values(result)) {
    if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer && v.buffer.byteLength > 8192) out.add(v.buffer);
  }
  return [...out];
}

port.on('message', (task: RowWorkerTask) => {
  let reply: RowWorkerReply;
  try {
    const n = task.customerIds.length;
    const rows = pendingRows(
      model,
      { features: task.features, columns: task.columns, customerIds: task.customerIds },
      0,
      n,
      init.limit,
      init.format,
    );
    // The caller keeps the ids it sent: only the scored parts travel back.
    const { customerIds: _ids, ...scored } = rows;
    reply = { id: task.id, rows: scored };
    port.postMessage(reply, transferables(scored));
  } catch (error) {
    reply = {
      id: task.id,
      error: error instanceof Error ? error.message : String(error),
      errorName: error instanceof Error ? error.name : 'Error',
    };
    port.postMessage(reply);
  }
});
