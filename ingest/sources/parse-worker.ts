/**
 * The parse worker's thread (see worker-parse.ts): reads the input file, validates and encodes its
 * rows into batches exactly as the job does on the main thread, and hands each full batch over
 * (transferred, not copied). Customer ids are never known here: every row of a fact leaves its
 * reference for the main thread's lookup (the placeholder id and pendingRef -2, as for any
 * reference the lookup cache does not hold yet).
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { FastRefs } from '../core/customer-id-source.ts';
import { ROW_END } from '../core/row-end.ts';
import { entitySpec } from '../entities/index.ts';
import { Batch } from '../load/batch.ts';
import { RowEncoder } from '../load/row-encoder.ts';
import { compileMapping } from '../mapping/compile.ts';
import { fromParts, toParts, type BatchParts } from './batch-transfer.ts';
import { CsvReader } from './csv-reader.ts';
import { NdjsonReader } from './ndjson-reader.ts';
import type { RowReader } from './reader.ts';
import { checkColumns } from './required-columns.ts';
import type { FromWorker, ParseJob } from './worker-parse.ts';

const port = parentPort!;
const job = workerData as ParseJob;
const post = (m: FromWorker, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);

const NO_IDS = Buffer.alloc(0);
const sources: string[] = [];
const tags = new Map<string, number>();
/** Tags are this thread's own; the batch carries the names, and the main thread maps them to its tags. */
const fast: FastRefs = {
  tagOf(source) {
    let t = tags.get(source);
    if (t === undefined) {
      t = sources.length;
      sources.push(source);
      tags.set(source, t);
    }
    return t;
  },
  idOffset: () => -1,
  values: () => NO_IDS,
};

const pool: Batch[] = [];
let waiting: ((b: Batch) => void) | undefined;
let allocated = 0;

port.on('message', (m: { type: 'recycle'; parts: BatchParts }) => {
  const b = fromParts(m.parts);
  if (waiting) {
    const w = waiting;
    waiting = undefined;
    w(b);
  } else pool.push(b);
});

async function main(): Promise<void> {
  const spec = entitySpec(job.entity);
  const compiled = compileMapping(spec, job.mapping, { source: job.source });
  const reader: RowReader =
    job.format === 'csv' ? new CsvReader(job.file, compiled, { gzip: job.gzip, tsv: job.tsv }) : new NdjsonReader(job.file, compiled, { gzip: job.gzip });
  const encoder = new RowEncoder(compiled, job.runVersion, ROW_END, job.refs ? { idFor: () => undefined, fast } : undefined);
  const keyCount = encoder.layout.keyColumns.length;
  // At most `maxBatches` exist: one being filled here, the others being written; the main thread
  // returns each once written, so memory stays at that many payload buffers.
  const take = async (): Promise<Batch> => {
    const b = pool.pop();
    if (b) return b;
    if (allocated < job.maxBatches) {
      allocated++;
      // Sized for a whole batch at once: the input is large (see ParseWorker.minBytes), and growing
      // a payload buffer 4 → 8 → 16 → 32 MiB copied ~60 MiB per batch buffer.
      return new Batch(keyCount, Math.min(job.batchSize, 1 << 20) + 16_384, job.maxBatchBytes + (4 << 20));
    }
    return new Promise<Batch>((resolve) => (waiting = resolve));
  };
  let batch = await take();
  let bytesRead = 0;
  let rowsRead = 0;
  let rejected = 0;
  const unknown = new Set<string>();
  const send = (b: Batch): void => {
    b.bytesRead = bytesRead;
    rowsRead += b.read;
    rejected += b.rejects.length;
    const { parts, transfer } = toParts(b);
    post({ type: 'batch', parts, sources: [...sources] }, transfer);
  };
  await reader.run({
    columns: (names) => {
      const plan = checkColumns(compiled, names);
      if (plan.unknown.length > 0) post({ type: 'unknown', names: plan.unknown });
    },
    unknownKey: (k) => {
      if (unknown.has(k)) return;
      unknown.add(k);
      post({ type: 'unknown', names: [k] });
    },
    row: (row) => {
      encoder.encode(row, batch);
    },
    bad: (line, detail, raw) => encoder.rejectRow(batch, line, detail, raw),
    chunkDone: async (bytes) => {
      bytesRead = bytes;
      if (batch.rows + batch.rejects.length >= job.batchSize || batch.out.pos >= job.maxBatchBytes) {
        send(batch);
        batch = await take();
      }
      post({ type: 'progress', bytesRead, rowsRead: rowsRead + batch.read, rowsRejected: rejected + batch.rejects.length });
    },
  });
  send(batch);
  post({ type: 'done', derived: reader.describeDerived?.(), cpuSeconds: threadCpuSeconds() });
}

/** CPU seconds (user + system) of this thread so far, from /proc (Linux); 0 elsewhere. For the benchmark's per-thread figures. */
function threadCpuSeconds(): number {
  try {
    const st = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

main().catch((e: unknown) => {
  const err = e as Error;
  post({ type: 'error', name: err?.name ?? 'Error', message: err?.message ?? String(e), stack: err?.stack });
});
