/**
 * npm run bench:ingest [-- --rows 2000000] [--sizes 500000,2000000] [--batch-size N] [--repeat N]
 *
 * For each size, in a fresh process with a fresh embedded warehouse (temp data dir):
 *   1. writes a deterministic transactions CSV (temp dir),
 *   2. loads it through the ingest job (ingestFile: parse, validate, identity lookups, dedupe, insert: a local
 *      file the engine reads, or an HTTP body with --http-bodies),
 *   3. loads the same file with the engine's own INSERT INTO … SELECT … FROM file(…, CSVWithNames) into an
 *      identical empty table,
 * and prints rows/s of both, their ratio, and peak RSS (sampled every 25 ms). Two sizes show whether
 * memory stays flat as the file grows. `--repeat N` runs each size N times (each run its own
 * process, job and native in the same minutes) and judges the goal on the median ratio: on a
 * shared machine one run says little.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LocalPayloads } from '../ingest/core/local-payloads.ts';
import { ingestFile } from '../ingest/index.ts';
import { ParseWorker } from '../ingest/sources/worker-parse.ts';
import { connectWarehouse } from '../lib/warehouse/index.ts';
import { applyMigrations } from '../lib/warehouse/migrations/runner.ts';
import { writeTransactionsCsv } from './ingest-generate.ts';

interface SizeResult {
  rows: number;
  fileMB: number;
  oursRowsPerSec: number;
  nativeRowsPerSec: number;
  ratio: number;
  oursPeakRssMB: number;
  /** JS heap + Buffers: what the ingest job itself holds. */
  oursPeakJsMB: number;
  nativePeakRssMB: number;
  baselineRssMB: number;
  oursSeconds: number;
  nativeSeconds: number;
  /** CPU seconds (user + system) during each load: the JS main thread, the parse worker thread (ingest/sources/worker-parse.ts), all other threads (the engine). */
  oursCpu: { main: number; worker: number; other: number };
  nativeCpu: { main: number; other: number };
}

/** Per-thread CPU from /proc (Linux): tells JS work from engine work, and stays meaningful on a busy machine. */
function threadCpu(): { main: number; other: number } {
  let main = 0;
  let other = 0;
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const st = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        const t = (Number(f[11]) + Number(f[12])) / 100;
        if (Number(tid) === process.pid) main += t;
        else other += t;
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // not Linux
  }
  return { main, other };
}

function cpuSince(a: { main: number; other: number }): { main: number; other: number } {
  const b = threadCpu();
  return { main: b.main - a.main, other: b.other - a.other };
}

/** Peak RSS (everything, the in-process engine included) and peak JS memory (heap + buffers). */
class RssSampler {
  #peak = 0;
  #peakJs = 0;
  #timer: NodeJS.Timeout | undefined;
  #sample(): void {
    const m = process.memoryUsage();
    this.#peak = Math.max(this.#peak, m.rss);
    this.#peakJs = Math.max(this.#peakJs, m.heapUsed + m.arrayBuffers);
  }
  start(): void {
    this.#peak = 0;
    this.#peakJs = 0;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), 25);
  }
  stop(): number {
    clearInterval(this.#timer);
    this.#sample();
    return this.#peak / 2 ** 20;
  }
  get peakJsMB(): number {
    return this.#peakJs / 2 ** 20;
  }
}

const NATIVE_STRUCTURE =
  'source String, transaction_id String, order_id String, customer_ref String, order_date DateTime, status String, amount Decimal(18, 2), ' +
  'currency String, quantity UInt32, product_id String, product_name String, category String, channel String, updated_at DateTime';

async function runSize(rows: number, batchSize: number | undefined): Promise<SizeResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
  try {
    const file = join(dir, 'transactions.csv');
    await writeTransactionsCsv(file, rows, 42);
    const config = { user: 'bench', password: randomBytes(18).toString('base64url'), database: 'crm', dataDir: join(dir, 'data'), embeddedPort: 0 };
    const warehouse = await connectWarehouse({ config, withDatabase: false });
    try {
      await applyMigrations(warehouse.client, { database: 'crm' });
      await warehouse.client.command({ query: 'CREATE TABLE crm.transactions_native AS crm.transactions' });
      const baseline = process.memoryUsage().rss / 2 ** 20;

      const rss = new RssSampler();
      rss.start();
      const cpu0 = threadCpu();
      const worker0 = ParseWorker.cpuSeconds;
      const t0 = performance.now();
      const s = await ingestFile(warehouse, { entity: 'transactions', file, rejectsFile: false, batchSize });
      const oursSeconds = (performance.now() - t0) / 1000;
      const threads = cpuSince(cpu0);
      // The worker's thread is among the "other" threads of /proc; it reports its own CPU.
      const workerCpu = ParseWorker.cpuSeconds - worker0;
      const oursCpu = { main: threads.main, worker: workerCpu, other: threads.other - workerCpu };
      const oursPeak = rss.stop();
      if (s.status !== 'completed' || s.loaded !== rows) throw new Error(`ingest did not load all rows: ${JSON.stringify({ ...s, rejects: s.rejects.slice(0, 3) })}`);

      // The engine's own CSV path, computing the same derived columns (no identity resolution:
      // customer_id is the raw reference), into an identical empty table.
      const rss2 = new RssSampler();
      rss2.start();
      const cpu1 = threadCpu();
      const t1 = performance.now();
      await warehouse.client.command({
        query: `INSERT INTO crm.transactions_native
          (source, transaction_id, order_id, customer_id, customer_ref, order_date, status, amount, original_amount, original_currency,
           quantity, product_id, product_name, category, channel, batch_id, row_hash, version)
          SELECT source, transaction_id, order_id, customer_ref AS cid, customer_ref, order_date, status, amount, amount AS oa, currency,
                 quantity, product_id, product_name, category, channel, 'native' AS b,
                 cityHash64(transaction_id, order_id, customer_ref, order_date, status, amount, currency, quantity, product_id, product_name, category, channel) AS h,
                 toUnixTimestamp(updated_at) * 1000 AS v
          FROM file({path:String}, CSVWithNames, {structure:String})`,
        query_params: { path: file, structure: NATIVE_STRUCTURE },
      });
      const nativeSeconds = (performance.now() - t1) / 1000;
      const nativeCpu = cpuSince(cpu1);
      const nativePeak = rss2.stop();
      const [n] = await (await warehouse.client.query({ query: 'SELECT count() AS n FROM crm.transactions_native', format: 'JSONEachRow' })).json<{ n: string }>();
      if (Number(n.n) !== rows) throw new Error(`native load wrote ${n.n} rows, expected ${rows}`);
      return {
        rows,
        fileMB: statSync(file).size / 2 ** 20,
        oursRowsPerSec: Math.round(rows / oursSeconds),
        nativeRowsPerSec: Math.round(rows / nativeSeconds),
        ratio: nativeSeconds / oursSeconds,
        oursPeakRssMB: oursPeak,
        oursPeakJsMB: rss.peakJsMB,
        nativePeakRssMB: nativePeak,
        baselineRssMB: baseline,
        oursSeconds,
        nativeSeconds,
        oursCpu,
        nativeCpu,
      };
    } finally {
      await warehouse.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' },
      sizes: { type: 'string' },
      'batch-size': { type: 'string' },
      'http-bodies': { type: 'boolean' },
      'no-pipe': { type: 'boolean' },
      repeat: { type: 'string' },
      child: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(`Usage: npm run bench:ingest -- [--rows 1000000] [--sizes 250000,1000000] [--batch-size N]

Loads a generated transactions CSV through the ingest job and, as the baseline in the same run,
with the engine's own INSERT … SELECT FROM file(); prints rows/s of both, their ratio and peak memory.
  --rows <n>        largest size (default 1,000,000; a quarter of it is run too)
  --sizes <a,b,..>  explicit sizes instead
  --batch-size <n>  rows per insert of the ingest job (default: the job's own)
  --repeat <n>      runs per size (default 1), each in its own process; the goal is judged on the
                    median ratio
  --http-bodies     send every payload as an HTTP body, as before local-file inserts
                    (ingest/core/local-payloads.ts): the before/after of that lever
  --no-pipe         one local file per batch instead of one insert fed through a named pipe
                    (ingest/core/payload-stream.ts): the before/after of that lever`);
    return;
  }
  const batchSize = values['batch-size'] ? Number(values['batch-size']) : undefined;
  if (values.child) {
    if (values['http-bodies']) LocalPayloads.minBytes = Infinity;
    if (values['no-pipe']) LocalPayloads.streams = false;
    const r = await runSize(Number(values.rows), batchSize);
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const top = Number(values.rows ?? 1_000_000);
  const sizes = values.sizes ? values.sizes.split(',').map(Number) : [Math.round(top / 4), top];
  const repeat = Math.max(1, Number(values.repeat ?? 1));
  const loadAtStart = (await import('node:os')).loadavg();
  const results: SizeResult[] = [];
  for (const rows of sizes) {
    for (let run = 1; run <= repeat; run++) {
      process.stderr.write(`bench:ingest ${rows.toLocaleString('en-US')} rows${repeat > 1 ? ` (run ${run} of ${repeat})` : ''} ...\n`);
      // One process per run: peak RSS of one run is not inflated by the previous one.
      const flags = [...(batchSize ? ['--batch-size', String(batchSize)] : []), ...(values['http-bodies'] ? ['--http-bodies'] : []), ...(values['no-pipe'] ? ['--no-pipe'] : [])];
      const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', '--rows', String(rows), ...flags], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 20,
      });
      if (child.status !== 0) throw new Error(`benchmark run for ${rows} rows failed (exit ${child.status})`);
      results.push(JSON.parse(child.stdout.trim().split('\n').pop()!) as SizeResult);
    }
  }
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const lines = [
    `transactions CSV → warehouse (2 cores; the embedded engine runs in this process, so RSS includes it); payloads ${
      values['http-bodies'] ? 'as HTTP bodies (--http-bodies)' : values['no-pipe'] ? 'as one local file per batch (--no-pipe)' : 'through a named pipe into one insert where the engine can read local files'
    }`,
    `load average at the start: ${loadAtStart.map((x) => x.toFixed(1)).join(' ')}`,
    '',
    '      rows   file MB   ingest job rows/s   native file() rows/s   ratio   peak RSS ingest / native (baseline)   ingest JS heap+buffers',
    ...results.map(
      (r) =>
        `${fmt(r.rows).padStart(10)}   ${r.fileMB.toFixed(0).padStart(7)}   ${fmt(r.oursRowsPerSec).padStart(17)}   ${fmt(r.nativeRowsPerSec).padStart(20)}   ${r.ratio.toFixed(2).padStart(5)}   ` +
        `${`${fmt(r.oursPeakRssMB)} MB / ${fmt(r.nativePeakRssMB)} MB (${fmt(r.baselineRssMB)} MB)`.padEnd(37)}   ${fmt(r.oursPeakJsMB)} MB`,
    ),
    '',
    'CPU seconds (user + system) per load: JS main thread + parse worker thread + other threads (the engine, HTTP, libuv):',
    ...results.map(
      (r) =>
        `${fmt(r.rows).padStart(10)}   ingest job ${r.oursCpu.main.toFixed(1)} + ${r.oursCpu.worker.toFixed(1)} + ${r.oursCpu.other.toFixed(1)} s in ${r.oursSeconds.toFixed(1)} s wall` +
        `   native ${r.nativeCpu.main.toFixed(1)} + ${r.nativeCpu.other.toFixed(1)} s in ${r.nativeSeconds.toFixed(1)} s wall`,
    ),
    `load average at the end: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} (other work on the machine slows both loads)`,
    // On a busy machine wall times mostly measure the other jobs; CPU seconds of both loads do not.
    'CPU ratio (native CPU seconds / ingest job CPU seconds, all threads; steadier than the wall ratio when the machine is busy):',
    ...results.map((r) => {
      const ours = r.oursCpu.main + r.oursCpu.worker + r.oursCpu.other;
      const native = r.nativeCpu.main + r.nativeCpu.other;
      return `${fmt(r.rows).padStart(10)}   ${(native / ours).toFixed(2)}  (${ours.toFixed(1)} s against ${native.toFixed(1)} s; ${fmt(r.rows / ours)} rows per CPU-second)`;
    }),
    '',
    'Goal: ratio ≥ 0.5 and ≥ 300,000 rows/s, the JS main thread ≤ 2 CPU-s per million rows; peak RSS flat in file size. Against the goal:',
    ...(repeat > 1 ? sizes.map((rows) => medianRun(results.filter((r) => r.rows === rows))) : results).map((r) => {
      const cpuRatio = (r.nativeCpu.main + r.nativeCpu.other) / (r.oursCpu.main + r.oursCpu.worker + r.oursCpu.other);
      const met = (ok: boolean): string => (ok ? 'met' : 'not met');
      return (
        `${fmt(r.rows).padStart(10)}   wall ratio ${r.ratio.toFixed(2)} (${met(r.ratio >= 0.5)}), CPU ratio ${cpuRatio.toFixed(2)} (${met(cpuRatio >= 0.5)}), ` +
        `${fmt(r.oursRowsPerSec)} rows/s (${met(r.oursRowsPerSec >= 300_000)}; native ${fmt(r.nativeRowsPerSec)} rows/s on this machine), ` +
        `JS main thread ${((r.oursCpu.main * 1e6) / r.rows).toFixed(1)} CPU-s per million rows (${met((r.oursCpu.main * 1e6) / r.rows <= 2)}: ≤ 2)` +
        (repeat > 1 ? ` (the run with the median wall ratio of ${repeat})` : '')
      );
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The run whose wall ratio is the median (the lower middle one for an even count). */
function medianRun(runs: SizeResult[]): SizeResult {
  const sorted = [...runs].sort((a, b) => a.ratio - b.ratio);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
