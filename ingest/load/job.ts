import { createHash, randomBytes } from 'node:crypto';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { createReadStream } from 'node:fs';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { ENTITIES, entitySpec } from '../entities/index.ts';
import type { EntityName, EntitySpec } from '../entities/types.ts';
import { rebuildGolden } from '../identity/golden.ts';
import { createPlaceholderCustomers, type FactTime, type RefScope } from '../identity/placeholders.ts';
import { resolveCustomers, type CustomerResolution } from '../identity/resolve.ts';
import { isSourceTokenBatch, sourceTokenBatchId } from '../identity/source-token-batches.ts';
import { RefResolver } from './resolve-refs.ts';
import { compileMapping, type CompiledMapping } from '../mapping/compile.ts';
import { loadMappingFile, MappingError, type Mapping } from '../mapping/mapping-file.ts';
import { CsvReader } from '../sources/csv-reader.ts';
import { NdjsonReader } from '../sources/ndjson-reader.ts';
import { detectFormat } from '../sources/open-input.ts';
import { ParquetReader } from '../sources/parquet-reader.ts';
import type { ReaderSink, RowReader } from '../sources/reader.ts';
import { RecordsReader } from '../sources/records-reader.ts';
import type { IngestFileOptions, IngestProgress, IngestRecordsOptions, IngestSummary, InputFormat } from '../types.ts';
import { Batch } from './batch.ts';
import { BatchLog } from './batch-log.ts';
import { BatchWriter } from './batch-writer.ts';
import { InputError } from '../core/input-error.ts';
import { RejectSink } from './rejects.ts';
import { ErasedRecords } from './erased-records.ts';
import { ScratchKeys } from './scratch-keys.ts';
import type { IdentityKeys } from '../core/customer-id-source.ts';
import { RowEncoder } from './row-encoder.ts';
import { inputFills, mayNameMoneyFields, readsReferences, referencedSales } from './referenced-sales.ts';
import { WarehouseIO } from '../core/warehouse-io.ts';
import { ROW_END } from '../core/row-end.ts';
import { loadConfig } from '../../lib/config/schema.ts';
import { checkColumns } from '../sources/required-columns.ts';
import { ParseWorker, type ParseJob } from '../sources/worker-parse.ts';
import { EngineFactsError, engineParseBlocker, engineParseLoad, UNMATCHED_LIMIT, type EngineParseResult } from './engine-parse.ts';
import { tableLayout } from './table-layout.ts';
import { withoutPayload } from './engine-error.ts';
import { servedByThisProcess } from '../../lib/warehouse/embedded/server.ts';

/**
 * Rows per insert. Larger batches mean fewer, larger parts in the engine (one per partition per
 * insert) and less merging later. A batch also ends at MAX_BATCH_BYTES of payload (checked between
 * 1 MiB input chunks, so it stays inside a 32 MiB buffer): memory stays near 2 × 32 MiB (one batch
 * being written, the next being parsed) whatever the row width or file size. Twice that cap made
 * no measurable difference to the engine's time (1M transactions rows in 42 MB or 400 MB inserts).
 */
const DEFAULT_BATCH_SIZE = 250_000;
const MAX_BATCH_BYTES = 30 << 20;

/** Loads one file (CSV, NDJSON, Parquet; CSV/NDJSON optionally gzipped) into the entity's table. Never throws for bad input: see `status` and `error`. */
export async function ingestFile(warehouse: Warehouse, opts: IngestFileOptions): Promise<IngestSummary> {
  const started = Date.now();
  const spec = entitySpec(opts.entity);
  let mapping: Mapping;
  let compiled: CompiledMapping;
  let format: InputFormat;
  let makeReader: () => RowReader;
  let sha: string;
  let parse: LoadInput['parse'];
  try {
    mapping = typeof opts.mapping === 'string' ? loadMappingFile(opts.mapping) : (opts.mapping ?? {});
    compiled = compileMapping(spec, mapping, { source: opts.source });
    const detected = detectFormat(opts.file);
    format = opts.format ?? mapping.format ?? detected.format;
    makeReader = (): RowReader =>
      format === 'csv'
        ? new CsvReader(opts.file, compiled, { gzip: detected.gzip, tsv: detected.tsv })
        : format === 'ndjson'
          ? new NdjsonReader(opts.file, compiled, { gzip: detected.gzip })
          : new ParquetReader(opts.file, compiled);
    makeReader(); // checks the file exists
    sha = await sha256File(opts.file);
    parse =
      format === 'csv' || format === 'ndjson'
        ? { entity: spec.name, mapping, source: opts.source, file: opts.file, format, gzip: detected.gzip, tsv: detected.tsv }
        : undefined;
  } catch (e) {
    if (!(e instanceof InputError) && !(e instanceof MappingError) && (e as NodeJS.ErrnoException).code === undefined) throw e;
    return failedSummary(spec.name, opts.file, started, (e as Error).message);
  }
  const rejectsFile = opts.rejectsFile === false ? undefined : (opts.rejectsFile ?? `${opts.file}.rejects.csv`);
  return runLoad(warehouse, spec, compiled, {
    label: opts.file,
    sha256: sha,
    makeReader,
    rejectsFile,
    batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
    onProgress: opts.onProgress,
    source: opts.source ?? mapping.source ?? '',
    localFiles: true,
    parse,
    engine: format === 'csv' ? { file: opts.file, gzip: detectFormat(opts.file).gzip, tsv: detectFormat(opts.file).tsv, mapping } : undefined,
  });
}

/**
 * Loads already-parsed records (canonical field names, or renamed by `mapping.columns`): the HTTP
 * ingestion endpoint and the demo loader call this. Same validation, quarantine and idempotence
 * as files; `batchLabel` takes the place of the file name.
 */
export async function ingestRecords(
  warehouse: Warehouse,
  entity: EntityName,
  records: readonly Record<string, unknown>[],
  opts: IngestRecordsOptions,
): Promise<IngestSummary> {
  const spec = entitySpec(entity);
  const compiled = compileMapping(spec, opts.mapping ?? {}, { source: opts.source });
  const sha = createHash('sha256')
    .update(JSON.stringify(records, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    .digest('hex');
  return runLoad(warehouse, spec, compiled, {
    label: opts.batchLabel,
    sha256: sha,
    makeReader: () => new RecordsReader(records, compiled),
    rejectsFile: undefined,
    batchSize: DEFAULT_BATCH_SIZE,
    source: opts.source ?? opts.mapping?.source ?? '',
    batchId: opts.viaSourceToken ? sourceTokenBatchId(opts.batchId ?? newBatchId()) : opts.batchId,
  });
}

interface LoadInput {
  label: string;
  sha256: string;
  makeReader: () => RowReader;
  rejectsFile: string | undefined;
  batchSize: number;
  onProgress?: (p: IngestProgress) => void;
  source: string;
  batchId?: string;
  /** Large payloads may go to the engine as local files (LocalPayloads): file loads, not HTTP pushes. */
  localFiles?: boolean;
  /** A CSV/NDJSON file: what a parse worker needs to read it (see ParseWorker). */
  parse?: Pick<ParseJob, 'entity' | 'mapping' | 'source' | 'file' | 'format' | 'gzip' | 'tsv'>;
  /** A CSV file the engine may parse itself (engine-parse.ts; CRM_INGEST_ENGINE_PARSE). */
  engine?: { file: string; gzip: boolean; tsv: boolean; mapping: Mapping };
}

/**
 * Only the admin of an endpoint on this machine can be handed files (see LocalPayloads). Anyone else
 * would fail the probe anyway, and @clickhouse/client logs every refused statement as an ERROR with
 * its stack: a writer's or a remote server's every file load printed one, so they are not asked.
 */
function mayOfferLocalFiles(warehouse: Warehouse): boolean {
  if (warehouse.role !== undefined && warehouse.role !== 'admin') return false;
  try {
    return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(warehouse.url).hostname);
  } catch {
    return false;
  }
}

function newBatchId(): string {
  const t = new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14);
  return `${t}-${randomBytes(4).toString('hex')}`;
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

function failedSummary(entity: EntityName, input: string, started: number, error: string, batchId = ''): IngestSummary {
  return {
    batchId,
    entity,
    input,
    status: 'failed',
    read: 0,
    loaded: 0,
    updated: 0,
    duplicates: 0,
    duplicatesInInput: 0,
    outdated: 0,
    rejected: 0,
    staleDeleted: 0,
    unknownCustomers: 0,
    customersCreated: 0,
    seconds: (Date.now() - started) / 1000,
    rowsPerSecond: 0,
    warnings: [],
    rejects: [],
    error,
  };
}

async function runLoad(warehouse: Warehouse, spec: EntitySpec, compiled: CompiledMapping, input: LoadInput): Promise<IngestSummary> {
  const started = Date.now();
  const io = new WarehouseIO(warehouse.client, warehouse.database);
  if (input.localFiles && mayOfferLocalFiles(warehouse)) io.useLocalFiles();
  const runVersion = started;
  const batchId = input.batchId ?? newBatchId();
  const log = new BatchLog(io, { batchId, entity: spec.name, source: input.source, sourceFile: input.label, fileSha256: input.sha256, startedAt: new Date(started) });
  const rejects = new RejectSink(io, spec.name, input.label, input.sha256, batchId, runVersion, input.rejectsFile);
  const warnings: string[] = [];
  const unknown = new Set<string>();
  let read = 0;
  let writer: BatchWriter | undefined;
  let refs: RefResolver | undefined;
  let resolution: CustomerResolution | undefined;
  let customersCreated = 0;
  // Rows the engine path loaded (engine-parse.ts): it has no writer.
  let engineLoaded = 0;
  // Rows of an engine-path facts insert that failed: any of them may be stored (EngineFactsError).
  let engineUnconfirmed = 0;
  const counts = () => ({
    read,
    loaded: (writer?.counts.loaded ?? 0) + engineLoaded,
    updated: writer?.counts.updated ?? 0,
    duplicates: writer?.counts.duplicates ?? 0,
    duplicatesInInput: writer?.counts.duplicatesInInput ?? 0,
    rejected: rejects.count,
    unconfirmed: writer?.unconfirmed ?? engineUnconfirmed,
    customersCreated,
  });
  const phases: Record<string, number> = {};
  // CPU of the whole process per phase (the embedded engine's threads included when it runs here):
  // on a busy machine wall times mostly measure the other jobs.
  const cpu: Record<string, number> = {};
  let phaseStart = performance.now();
  let cpuStart = process.cpuUsage();
  const phase = (name: string): void => {
    phases[name] = Math.round(performance.now() - phaseStart);
    const c = process.cpuUsage(cpuStart);
    cpu[name] = Math.round((c.user + c.system) / 1000);
    phaseStart = performance.now();
    cpuStart = process.cpuUsage();
  };
  const scratch = new ScratchKeys(io, batchId, warehouse.cluster);
  let worker: ParseWorker | undefined;
  try {
    await log.markInterrupted();
    await ScratchKeys.dropLeftovers(io, warehouse.database);
    await log.record('running', counts());
    await rejects.init();
    // Records of erased people (lib/privacy tombstones) are dropped before anything else sees them.
    const erased = await ErasedRecords.load(warehouse.client, warehouse.database, compiled);
    const engineDone = !io.local ? undefined : await engineParse(warehouse, io, spec, compiled, input, batchId, runVersion, erased);
    // Lines the engine path left to this one (its checks refused them, or an erased person's): the
    // rest of the file is stored, so only these are read into batches below.
    const handOff = engineDone && engineDone.handOff.length > 0 ? new LineSet(engineDone.handOff) : undefined;
    if (engineDone) {
      read = engineLoaded = engineDone.loaded;
      phase('engine');
    }
    if (engineDone && !handOff) {
      read = engineDone.read;
      customersCreated = await createPlaceholderCustomers(io, unmatchedScope(engineDone, undefined), factTimes(), runVersion);
      phase('placeholders');
      if (loadConfig().INGEST_TIMINGS) process.stderr.write(`ingest timings (ms): ${JSON.stringify({ ...phases, cpu, engineParse: true })}\n`);
      if (engineDone.unknownColumns.length > 0) warnings.push(`ignored columns not in the ${spec.name} contract: ${engineDone.unknownColumns.join(', ')}`);
      const rejectsFile = await rejects.close();
      await scratch.drop();
      await io.releaseLocalFiles();
      await log.record('completed', counts());
      input.onProgress?.({ bytesRead: 0, bytesTotal: 0, rowsRead: read, rowsLoaded: read, rowsRejected: 0, elapsedMs: Date.now() - started });
      const seconds = (Date.now() - started) / 1000;
      return {
        ...failedSummary(spec.name, input.label, started, '', batchId),
        status: 'completed',
        error: undefined,
        read,
        loaded: read,
        unknownCustomers: engineDone.unknownCustomers,
        customersCreated,
        erasedSkipped: 0,
        seconds,
        rowsPerSecond: seconds > 0 ? Math.round(read / seconds) : read,
        warnings,
        rejects: rejects.first,
        rejectsFile,
        derivedIds: undefined,
      };
    }
    if (spec.resolvesIdentity) {
      // Pass 1: identity keys of every valid record; resolution needs the whole input so that the
      // ids do not depend on the order of rows in the file.
      const keys: IdentityKeys[] = [];
      const probe = new RowEncoder(compiled, runVersion, ROW_END, { idFor: () => PROBE_ID });
      probe.onIdentity = (k) => keys.push(k);
      const scratch = new Batch(probe.layout.keyColumns.length, 1024, 1 << 16);
      await input.makeReader().run({
        columns: (names) => checkColumns(compiled, names),
        unknownKey: () => {},
        row: (row) => {
          if (erased?.matches(row)) return;
          probe.encode(row, scratch);
          scratch.rows = 0;
          scratch.out.pos = 0;
          scratch.rejects.length = 0;
        },
        bad: () => {},
        chunkDone: () => {},
      });
      phase('pass1');
      resolution = await resolveCustomers(io, keys, runVersion, { viaSourceToken: isSourceTokenBatch(batchId) });
      phase('resolve');
    } else if (spec.resolvesCustomer) {
      refs = new RefResolver(io, runVersion);
      await refs.init();
    }
    const encoder = new RowEncoder(compiled, runVersion, ROW_END, resolution ?? refs);
    // Credit lines that name the sale they reverse (PayPal's Reference Txn ID) take its customer and
    // order, whether the mapping renames a column to reference_id or the input names it so itself.
    const own = await ownMoneyFields(compiled, input);
    const references = readsReferences(compiled) || own.has(spec.money?.reference ?? '');
    if (references) encoder.references = await referencedSales(warehouse, compiled, input.makeReader(), erased ? (row) => erased.matches(row) : undefined);
    const rehash = encoder.layout.hasAudit ? undefined : storedRowHasher(spec, runVersion);
    writer = new BatchWriter(io, encoder.layout, rejects, refs, rehash, scratch, { batchId, earlierLoads: await log.earlierLoads() });
    const w = writer;
    const reader = input.makeReader();
    const keyCount = encoder.layout.keyColumns.length;
    const pool: Batch[] = [];
    const take = (): Batch => {
      const b = pool.pop();
      if (b) return b;
      return new Batch(keyCount, Math.min(input.batchSize, 1 << 16) + 16_384, 4 << 20);
    };
    let batch = take();
    let inflight: Promise<void> | undefined;
    let bytesRead = 0;
    let loadedSoFar = 0;
    // A parse worker's own counts (its batches not yet written included), when one parses.
    let parsed: { rows: number; rejected: number } | undefined;
    const progress = (): void => {
      input.onProgress?.({
        bytesRead,
        bytesTotal: reader.size,
        rowsRead: parsed ? parsed.rows : read + batch.read,
        rowsLoaded: loadedSoFar,
        rowsRejected: parsed ? Math.max(parsed.rejected, rejects.count) : rejects.count + batch.rejects.length,
        elapsedMs: Date.now() - started,
      });
    };
    const flush = async (): Promise<void> => {
      const b = batch;
      // The previous write returns its batch to the pool first: two batches, not three, whatever the file size.
      if (inflight) await inflight;
      batch = take();
      read += b.read;
      inflight = w.write(b).then(async () => {
        loadedSoFar = w.counts.loaded + w.counts.updated + w.streamedRows;
        resetBatch(b);
        pool.push(b);
        // What is confirmed so far, so a load killed later leaves a log that says it.
        await log.record('running', counts());
      });
      // Errors surface where `inflight` is awaited; keep Node from reporting them as unhandled first.
      inflight.catch(() => {});
    };
    const sink: ReaderSink = {
      columns: (names) => {
        const plan = checkColumns(compiled, names);
        for (const u of plan.unknown) unknown.add(u);
      },
      unknownKey: (k) => unknown.add(k),
      row: (row) => {
        if (handOff && !handOff.has(row.line)) return;
        if (erased?.skip(row)) batch.read++;
        else encoder.encode(row, batch);
      },
      bad: (line, detail, raw) => {
        if (!handOff || handOff.has(line)) encoder.rejectRow(batch, line, detail, raw);
      },
      chunkDone: async (bytes) => {
        bytesRead = bytes;
        if (batch.rows + batch.rejects.length >= input.batchSize || batch.out.pos >= MAX_BATCH_BYTES) await flush();
        progress();
      },
    };
    // A mapping that skips rows, or an input with refunded amounts or references (renamed or named
    // so), parses here: the counts of skipped rows and of refunds' credit lines, and the referenced
    // sales, live on this encoder.
    worker = parseWorkerFor(
      input,
      reader.size,
      !handOff && !erased && !spec.resolvesIdentity && compiled.skip.length === 0 && compiled.csv.groupHeading === undefined && !references && !readsRefunds(compiled) && own.size === 0 && (refs !== undefined || !encoder.layout.hasCustomerId),
      runVersion,
      refs,
    );
    if (worker) {
      const pw = worker;
      parsed = { rows: 0, rejected: 0 };
      const counted = parsed;
      await pw.run({
        unknown: (names) => {
          for (const u of names) unknown.add(u);
        },
        progress: (bytes, rows, rejected) => {
          bytesRead = bytes;
          counted.rows = rows;
          counted.rejected = rejected;
          progress();
        },
        batch: async (b) => {
          if (inflight) await inflight;
          read += b.read;
          inflight = w.write(b).then(async () => {
            loadedSoFar = w.counts.loaded + w.counts.updated + w.streamedRows;
            resetBatch(b);
            pw.recycle(b);
            await log.record('running', counts());
          });
          inflight.catch(() => {});
        },
      });
    } else {
      await reader.run(sink);
      await flush();
    }
    if (inflight) await inflight;
    await w.finish();
    progress();
    phase('load');
    if (resolution) await rebuildGolden(io, resolution, runVersion, spec.survivorship ?? {});
    phase('golden');
    customersCreated = refs ? await createPlaceholderCustomers(io, engineDone ? unmatchedScope(engineDone, refs) : refs.unmatchedRefs(), factTimes(), runVersion) : 0;
    phase('placeholders');
    if (loadConfig().INGEST_TIMINGS) process.stderr.write(`ingest timings (ms): ${JSON.stringify({ ...phases, ...w.timings, cpu, localFiles: io.local?.files ?? 0 }, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v))}\n`);
    if (engineDone) for (const u of engineDone.unknownColumns) unknown.add(u);
    if (unknown.size > 0) warnings.push(`ignored columns not in the ${spec.name} contract: ${[...unknown].join(', ')}`);
    warnings.push(...w.duplicateWarnings());
    if (rejects.creditLines > 0) warnings.push(creditLinesWarning(rejects.creditLines));
    if (encoder.refundCredits > 0) warnings.push(refundCreditsNote(encoder.refundCredits));
    if (encoder.orderRefundCredits > 0) warnings.push(orderRefundCreditsNote(encoder.orderRefundCredits));
    if (reader.groupRows) warnings.push(`${reader.groupRows.toLocaleString('en-US')} heading, total or empty row${reader.groupRows === 1 ? '' : 's'} of a grouped report left out (csv.groupHeading: each heading is carried down to the rows below it; neither loaded nor rejected)`);
    if (encoder.skipped > 0) warnings.push(`${encoder.skipped.toLocaleString('en-US')} row${encoder.skipped === 1 ? '' : 's'} left out by the mapping's "skip" (neither loaded nor rejected)`);
    const rejectsFile = await rejects.close();
    await scratch.drop();
    await io.releaseLocalFiles();
    await log.record('completed', counts());
    const seconds = (Date.now() - started) / 1000;
    const c = w.counts;
    return {
      batchId,
      entity: spec.name,
      input: input.label,
      status: 'completed',
      read,
      loaded: c.loaded + engineLoaded,
      updated: c.updated,
      duplicates: c.duplicates,
      duplicatesInInput: c.duplicatesInInput,
      outdated: c.outdated,
      rejected: rejects.count,
      staleDeleted: c.staleDeleted,
      unknownCustomers: engineDone ? unknownUnion(engineDone, refs) : (refs?.unknownCustomers ?? 0),
      customersCreated,
      erasedSkipped: erased?.skipped ?? 0,
      identity: resolution?.stats,
      seconds,
      rowsPerSecond: seconds > 0 ? Math.round(read / seconds) : read,
      warnings,
      rejects: rejects.first,
      rejectsFile,
      derivedIds: worker ? worker.derived : reader.describeDerived?.(),
    };
  } catch (e) {
    let message = withoutPayload((e as Error).message ?? String(e));
    await worker?.stop().catch(() => undefined);
    await writer?.abort().catch(() => undefined);
    if (e instanceof EngineFactsError) {
      read = e.rows;
      engineUnconfirmed = e.rows;
    }
    // Counts are of confirmed writes only; an insert that failed may have stored part of its rows.
    const unconfirmed = writer?.unconfirmed ?? engineUnconfirmed;
    if (unconfirmed > 0) message += ` (${unconfirmed} rows were being written when the load failed and are not confirmed; loading the same input again writes whatever is missing)`;
    await rejects.close().catch(() => undefined);
    await scratch.drop().catch(() => undefined);
    await io.releaseLocalFiles();
    await log.record('failed', counts(), message).catch(() => undefined);
    const s = failedSummary(spec.name, input.label, started, message, batchId);
    s.read = read;
    if (writer) {
      s.loaded = writer.counts.loaded + engineLoaded;
      s.updated = writer.counts.updated;
      s.duplicates = writer.counts.duplicates;
      s.duplicatesInInput = writer.counts.duplicatesInInput;
      s.outdated = writer.counts.outdated;
      s.unconfirmed = unconfirmed;
    } else if (engineUnconfirmed > 0) s.unconfirmed = engineUnconfirmed;
    s.rejected = rejects.count;
    s.rejects = rejects.first;
    s.warnings = warnings;
    if (!(e instanceof InputError) && !(e instanceof MappingError)) s.error = `${message}`;
    return s;
  }
}

const PROBE_ID = Buffer.from('C-000000000000');

/**
 * The engine path for a local CSV (engine-parse.ts) when CRM_INGEST_ENGINE_PARSE allows and the
 * mapping and the warehouse's stored rows let it load exactly what the JS path would; undefined
 * (nothing written) when the JS path loads the file.
 */
async function engineParse(
  warehouse: Warehouse,
  io: WarehouseIO,
  spec: EntitySpec,
  compiled: CompiledMapping,
  input: LoadInput,
  batchId: string,
  runVersion: number,
  erased: ErasedRecords | undefined,
): Promise<EngineParseResult | undefined> {
  const e = input.engine;
  if (!e || loadConfig().CRM_INGEST_ENGINE_PARSE === 'off') return undefined;
  // Only an engine of this process: a CLI killed beside a running `npm start` would leave that
  // engine's insert running while a re-run already decides what is new (the pipe's rule too).
  if (!servedByThisProcess(warehouse.url)) return undefined;
  const layout = tableLayout(spec);
  const blocker = engineParseBlocker(spec, compiled, e.mapping, layout);
  if (blocker !== undefined) {
    if (loadConfig().INGEST_TIMINGS) process.stderr.write(`ingest: JS path (${blocker})\n`);
    return undefined;
  }
  const quiet = createClient({ url: warehouse.url, username: warehouse.user, password: warehouse.password, database: warehouse.database || undefined, request_timeout: 3_600_000, log: { level: ClickHouseLogLevel.OFF } });
  try {
    return await engineParseLoad(io, spec, compiled, layout, { quietCommand: (query) => quiet.command({ query }).then(() => undefined), file: e.file, gzip: e.gzip, tsv: e.tsv, batchId, runVersion, erased });
  } finally {
    await quiet.close();
  }
}

/** Ascending line numbers, asked in ascending order (a reader's rows): a cursor, no search. */
class LineSet {
  #at = 0;
  constructor(readonly lines: Uint32Array) {}

  has(line: number): boolean {
    const l = this.lines;
    while (this.#at < l.length && l[this.#at] < line) this.#at++;
    return this.#at < l.length && l[this.#at] === line;
  }
}

/**
 * The references customers from facts alone are made for, as one JS load of the whole file would
 * list them (RefResolver.unmatchedRefs): the engine path's and the handed-off rows' together, per
 * source (a source with no identity_map rows before the load as a whole: only this load's
 * references are in it), or whole sources past UNMATCHED_LIMIT.
 */
function unmatchedScope(engine: EngineParseResult, refs: RefResolver | undefined): RefScope[] {
  const js = refs?.unmatchedRefs() ?? [];
  const whole = (): RefScope[] => [...new Set([...engine.sources, ...js.map((x) => x.source)])].map((source) => ({ source }));
  if (!engine.unmatched || js.some((x) => x.refs === undefined) || unknownUnion(engine, refs) > UNMATCHED_LIMIT) return whole();
  const fresh = new Set(engine.freshSources);
  const listed = new Map<string, Set<string>>();
  for (const [source, set] of engine.unmatched) listed.set(source, new Set(set));
  for (const { source, refs: list } of js) {
    if (fresh.has(source)) continue;
    let set = listed.get(source);
    if (!set) listed.set(source, (set = new Set()));
    for (const r of list!) set.add(r);
  }
  return [...engine.freshSources.map((source) => ({ source })), ...[...listed].map(([source, set]) => ({ source, refs: [...set] }))];
}

/**
 * Distinct references without a customer record, engine path and handed-off rows together: the
 * JS part's references less those the engine path counted already. Past UNMATCHED_LIMIT on either
 * side the two counts are added, as the JS path's own count is then a filter's estimate too.
 */
function unknownUnion(engine: EngineParseResult, refs: RefResolver | undefined): number {
  if (!refs) return engine.unknownCustomers;
  const js = refs.unmatchedRefs();
  if (js.some((x) => x.refs === undefined)) return engine.unknownCustomers + refs.unknownCustomers;
  let count = engine.unknownCustomers;
  for (const { source, refs: list } of js) for (const r of list!) if (!engine.handOffUnknown.has(`${source}\x1f${r}`)) count++;
  return count;
}

/** The mapping names a column for the entity's refunded amount (so the encoder may add credit lines). */
function readsRefunds(compiled: CompiledMapping): boolean {
  const money = compiled.entity.money;
  const fields = [money?.refunded, money?.orderRefunded].filter((f) => f !== undefined);
  return readsReferences(compiled) || [...compiled.renames.values()].some((to) => fields.includes(to));
}

/**
 * The refund and reference fields the input fills without a rename (a column or JSON key named
 * `reference_id`, `refunded_amount`, …): they act as when renamed. Only asked for those the mapping
 * does not rename already; a CSV or Parquet input answers from its header.
 */
async function ownMoneyFields(compiled: CompiledMapping, input: LoadInput): Promise<Set<string>> {
  const money = compiled.entity.money;
  const renamed = new Set(compiled.renames.values());
  const fields = [money?.reference, money?.refunded, money?.orderRefunded].filter((f): f is string => f !== undefined && !renamed.has(f));
  if (fields.length === 0) return new Set();
  // An NDJSON file has no header: a byte scan rules the keys out before a parse looks for them.
  if (input.parse?.format === 'ndjson' && !(await mayNameMoneyFields(input.parse.file, input.parse.gzip))) return new Set();
  return inputFills(compiled, input.makeReader(), fields);
}

/** Why the load wrote more rows than it read: each order's refund became a credit line of its own. */
export function orderRefundCreditsNote(count: number): string {
  return `${count.toLocaleString('en-US')} order${count === 1 ? '' : 's'} with a refund of the whole order (order_refunded_amount): each is loaded as one credit line (transaction id "<order id>:order-refund", dated like the order, less the line's own amount where that line is itself refunded), which lowers net revenue and is not a purchase`;
}

/** Why the load wrote more rows than it read: each partial refund became a credit line of its own. */
export function refundCreditsNote(count: number): string {
  return `${count.toLocaleString('en-US')} partially refunded line${count === 1 ? '' : 's'}: the refunded part of each is loaded as a credit line of its own (transaction id "<id>:refund", dated like the line), which lowers net revenue and is not a purchase`;
}

/** The parse worker for a large CSV/NDJSON file whose rows need no identity resolution (that needs every row here), else undefined. */
function parseWorkerFor(input: LoadInput, size: number, eligible: boolean, runVersion: number, refs: RefResolver | undefined): ParseWorker | undefined {
  if (!input.parse || !eligible || size < ParseWorker.minBytes || ParseWorker.bootstrap() === null) return undefined;
  return new ParseWorker(
    { ...input.parse, runVersion, batchSize: input.batchSize, maxBatchBytes: MAX_BATCH_BYTES, refs: refs !== undefined, maxBatches: 2 },
    refs ? (source) => refs.tagOf(source) : undefined,
  );
}

/** Every fact table whose rows show that a customer exists, with the column saying when. */
function factTimes(): FactTime[] {
  return Object.values(ENTITIES).flatMap((e) => {
    const f = e.firstSeenField ? e.fields.find((x) => x.name === e.firstSeenField) : undefined;
    return f ? [{ table: e.table, column: f.column ?? f.name, type: f.type === 'date' ? ('date' as const) : ('datetime' as const) }] : [];
  });
}

function resetBatch(b: Batch): void {
  b.rows = 0;
  b.read = 0;
  b.out.pos = 0;
  b.rejects.length = 0;
  b.pendingRefs.length = 0;
  b.pendingRefIndex.clear();
  b.pendingCount = 0;
}

/** Users have no row_hash column: stored rows are hashed by encoding them again. */
function storedRowHasher(spec: EntitySpec, runVersion: number): (row: Record<string, string>) => number {
  const canonical = compileMapping(spec, {}, {});
  const encoder = new RowEncoder(canonical, runVersion, ROW_END, undefined);
  const batch = new Batch(encoder.layout.keyColumns.length, 4, 1 << 12);
  const rows = new RecordsReader([], canonical);
  return (stored) => {
    batch.rows = 0;
    batch.out.pos = 0;
    batch.rejects.length = 0;
    const ok = encoder.encode(rows.rowOf(stored, 0), batch);
    return ok ? batch.hash[0] : -1;
  };
}

/**
 * Return/credit lines the mapping does not load (no `credits`) are refused, not lost in the reject
 * count: the summary says how many and which mapping option loads them.
 */
export function creditLinesWarning(count: number): string {
  return `${count.toLocaleString('en-US')} return/credit line${count === 1 ? '' : 's'} (negative quantity, amount or unit price) rejected: "credits": {"sign": true} in the mapping loads them as credit lines, which reduce net revenue and are not purchases (ingest/README.md, "Returns and credit lines")`;
}
