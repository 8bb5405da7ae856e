import type { RefResolver } from './resolve-refs.ts';
import type { Batch } from './batch.ts';
import { hash53, hashCombine } from './hash.ts';
import { KeyFilter } from './key-filter.ts';
import type { RejectSink } from './rejects.ts';
import type { TableLayout } from './table-layout.ts';
import type { ScratchKeys } from './scratch-keys.ts';
import { chunked, type WarehouseIO } from '../core/warehouse-io.ts';
import { COPIES_OF } from '../../lib/warehouse/migrations/018-transactions-by-customer.ts';
import type { PayloadStream } from '../core/payload-stream.ts';

/** Above this many keys a lookup goes through a scratch table (see ScratchKeys). */
const SCRATCH_THRESHOLD = 20_000;

/**
 * Payload bytes per insert stream (PayloadStream): a larger input is several inserts, each well
 * inside the client's request timeout (≈ 3M transactions rows).
 */
const MAX_STREAM_BYTES = 512 << 20;

export interface WriteCounts {
  loaded: number;
  updated: number;
  duplicates: number;
  /** Rows whose key another row of the same input also has: not kept (see DuplicateReport). */
  duplicatesInInput: number;
  outdated: number;
  staleDeleted: number;
}

const zeroCounts = (): WriteCounts => ({ loaded: 0, updated: 0, duplicates: 0, duplicatesInInput: 0, outdated: 0, staleDeleted: 0 });

interface Stored {
  customerId: string;
  date: number;
  hash: number;
  version: number;
  /** The load that wrote it ('' on tables without batch_id). */
  batch: string;
}

/** Which loads wrote what: the current one, and earlier loads of the very same input. */
export interface InputIdentity {
  batchId: string;
  /** Batch ids of earlier loads of the same input (same entity and content hash). */
  earlierLoads: ReadonlySet<string>;
}

/** A key repeated within one input, as the summary reports it. */
interface DuplicateReport {
  label: string;
  lines: number[];
  /** An occurrence in an earlier batch of the input (its line is not kept). */
  earlier: boolean;
  kept: number;
  /** The kept row won by its newer updated_at rather than by coming last. */
  byVersion: boolean;
}

/** A row held back until the end of the input: a later row with its key may replace it. */
interface Deferred {
  line: number;
  bytes: Buffer;
  mine: Stored;
  stored: Stored[];
}

/**
 * Rows held back per load at most. A re-load of the same file with another mapping differs on
 * every row: past this, rows are written as updates again (memory stays bounded).
 */
const MAX_DEFER_BYTES = 64 << 20;

/** Detailed duplicate reports kept per load (the count is always exact). */
const MAX_DUPLICATE_REPORTS = 20;

const enum Fate {
  Write = 1,
  Skip = 0,
}

/**
 * Decides, per row of a batch, whether it is new, an update, unchanged or outdated, writes what
 * must be written, and removes rows an update left behind under an old sort key.
 *
 * Idempotence and crash safety come from the same rule: a row is written only when the stored
 * record with its key differs. A fresh key (the table had no row for the source when the run
 * started and the in-run filter has not seen the key) is written without asking; anything else is
 * looked up by key (bloom-filter index on fact ids). Stale rows are deleted after the new ones are
 * written, so a crash in between leaves a state the next run repairs (it sees both and deletes the
 * stale one).
 *
 * One row per key and input: rows of a batch sharing a key are decided together (the newest
 * version, else the last, is kept and compared with what is stored; the others are counted as
 * duplicates in the input); a key an earlier batch of this load wrote is recognised by the stored
 * row's batch_id. On a re-load of the same input, a row that differs from what that input stored
 * before is held back to the end of the input, where a later row with its key may supersede it —
 * so the unchanged input writes nothing at all.
 */
export class BatchWriter {
  /** Confirmed counts: a batch's rows are added once its insert (and stale deletes) succeeded. */
  readonly counts: WriteCounts = zeroCounts();
  /** Rows sent in an insert whose outcome is unknown because it failed: some may be stored. */
  unconfirmed = 0;
  /** Counts of the batch being written (moved into `counts` when it is confirmed). */
  #c: WriteCounts = zeroCounts();
  readonly #deferred = new Map<string, Deferred>();
  readonly #reports = new Map<string, DuplicateReport>();
  #keysRepeated = 0;
  #deferBytes = 0;
  readonly #filter = new KeyFilter();
  readonly #fresh = new Map<string, boolean>();
  readonly #hasSource: boolean;
  readonly #selectMovable: string;
  #kept = Buffer.allocUnsafe(0);
  /**
   * The open insert stream, if any (file loads on the engine's machine, see PayloadStream): batches
   * that needed no lookup are written into it; their counts are confirmed when it closes.
   */
  #stream: PayloadStream | undefined;
  #streamCounts: WriteCounts = zeroCounts();
  #streamRows = 0;
  /** The batch being decided looked stored rows up (its payload then goes on its own). */
  #lookedUp = false;
  /**
   * batch_id of the rows written, on tables that have it: the encoder ends each row with the
   * row-end marker where it goes (ingest/core/row-end.ts), and every insert puts this in its place.
   */
  readonly #lastColumn: string | undefined;

  constructor(
    readonly io: WarehouseIO,
    readonly layout: TableLayout,
    readonly rejects: RejectSink,
    readonly refs: RefResolver | undefined,
    /** Tables without row_hash (users): hashes stored rows (business columns as text) the way the encoder would. */
    readonly rehash?: (row: Record<string, string>) => number,
    readonly scratch?: ScratchKeys,
    readonly input: InputIdentity = { batchId: '', earlierLoads: new Set() },
  ) {
    this.#hasSource = layout.keyColumns[0] === 'source';
    this.#lastColumn = layout.hasAudit ? input.batchId : undefined;
    const dateCol = layout.movableDateColumn;
    this.#selectMovable = [
      layout.movableCustomer ? 'customer_id AS m_customer' : "'' AS m_customer",
      dateCol ? `toUInt32(${isDateColumn(dateCol) ? `toUInt16(${dateCol})` : `toUnixTimestamp(${dateCol})`}) AS m_date` : '0 AS m_date',
    ].join(', ');
  }

  /** Milliseconds spent per phase (INGEST_TIMINGS=1 prints them). */
  readonly timings = { refs: 0, decide: 0, insert: 0, stale: 0, rejects: 0 };

  async write(batch: Batch): Promise<void> {
    let t = performance.now();
    const lap = (k: keyof BatchWriter['timings']): void => {
      const now = performance.now();
      this.timings[k] += now - t;
      t = now;
    };
    if (this.refs) await this.refs.resolve(batch);
    lap('refs');
    this.#c = zeroCounts();
    this.#lookedUp = false;
    const fate = new Uint8Array(batch.rows);
    const stale = await this.#decide(batch, fate);
    lap('decide');
    let written = 0;
    for (let r = 0; r < batch.rows; r++) written += fate[r];
    const payload = this.#payload(batch, fate, written);
    if (written > 0 && !this.#lookedUp && (await this.#streaming(payload.length))) {
      // Nothing of this batch was looked up, so nothing in it needs the table to hold the rows
      // before it (no stale rows either): it joins the open insert.
      await this.#toStream(payload, written);
      lap('insert');
    } else {
      await this.#confirm(written, async () => {
        if (written > 0) await this.io.insertTsv(this.layout.table, this.layout.columns, payload, this.#lastColumn);
        lap('insert');
        if (stale.length > 0) await this.#deleteStale(stale);
        lap('stale');
      });
    }
    await this.rejects.write(batch.rejects);
    lap('rejects');
  }

  /** Whether the batch's payload goes into an insert stream (one is open, or could be opened for it). */
  async #streaming(bytes: number): Promise<boolean> {
    if (this.#stream && this.#stream.bytes >= MAX_STREAM_BYTES) await this.settle();
    if (!this.#stream && this.layout.hasAudit && this.input.batchId !== '') {
      // batch_id is the payload's last column, written as the row-end marker (row-end.ts).
      this.#stream = await this.io.openStream(this.layout.table, this.layout.columns, this.input.batchId, bytes);
    }
    return this.#stream !== undefined;
  }

  async #toStream(payload: Buffer, rows: number): Promise<void> {
    try {
      await this.#stream!.write(payload);
    } catch (e) {
      // The insert failed: whatever it carried may be partly stored.
      await this.#stream?.abort();
      this.#stream = undefined;
      this.unconfirmed += this.#streamRows + rows;
      this.#streamRows = 0;
      this.#streamCounts = zeroCounts();
      throw e;
    }
    for (const k of Object.keys(this.counts) as (keyof WriteCounts)[]) this.#streamCounts[k] += this.#c[k];
    this.#c = zeroCounts();
    this.#streamRows += rows;
  }

  /** Rows written into the open insert stream, not confirmed yet (for progress). */
  get streamedRows(): number {
    return this.#streamRows;
  }

  /**
   * Ends the open insert stream, if any: its rows are stored and counted when this returns. Called
   * before anything reads the table (lookups), at the end of the input, and between streams.
   */
  async settle(): Promise<void> {
    const stream = this.#stream;
    if (!stream) return;
    this.#stream = undefined;
    const rows = this.#streamRows;
    const counts = this.#streamCounts;
    this.#streamRows = 0;
    this.#streamCounts = zeroCounts();
    try {
      await stream.close();
    } catch (e) {
      this.unconfirmed += rows;
      throw e;
    }
    for (const k of Object.keys(this.counts) as (keyof WriteCounts)[]) this.counts[k] += counts[k];
  }

  /** The load failed: ends the open stream without waiting for its outcome to count (its rows are unconfirmed). */
  async abort(): Promise<void> {
    const stream = this.#stream;
    if (!stream) return;
    this.#stream = undefined;
    this.unconfirmed += this.#streamRows;
    this.#streamRows = 0;
    this.#streamCounts = zeroCounts();
    await stream.abort();
  }

  /** Runs a write; its counts become confirmed when it succeeds, its rows unconfirmed when it fails. */
  async #confirm(rows: number, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (e) {
      this.unconfirmed += rows;
      throw e;
    }
    for (const k of Object.keys(this.counts) as (keyof WriteCounts)[]) this.counts[k] += this.#c[k];
    this.#c = zeroCounts();
  }

  /**
   * End of the input: rows held back because a later row might have replaced them are written now
   * (no later row had their key).
   */
  async finish(): Promise<void> {
    await this.settle();
    if (this.#deferred.size === 0) return;
    this.#c = zeroCounts();
    const stale: string[][] = [];
    const payload: Buffer[] = [];
    for (const [key, d] of this.#deferred) {
      payload.push(d.bytes);
      this.#c.updated++;
      for (const x of d.stored) if (x.date !== d.mine.date || x.customerId !== d.mine.customerId) stale.push([...key.split('\u001f'), x.customerId, String(x.date)]);
    }
    const rows = this.#deferred.size;
    this.#deferred.clear();
    await this.#confirm(rows, async () => {
      await this.io.insertTsv(this.layout.table, this.layout.columns, Buffer.concat(payload), this.#lastColumn);
      if (stale.length > 0) await this.#deleteStale(stale);
    });
  }

  /**
   * One line per id that more than one row of the input had (the first MAX_DUPLICATE_REPORTS),
   * naming the rule that chose the kept row.
   */
  duplicateWarnings(): string[] {
    const out: string[] = [];
    for (const d of this.#reports.values()) {
      const rule = d.byVersion ? 'the newest updated_at' : 'the last one; with updated_at the newest wins';
      const kept = d.kept > 0 ? `line ${d.kept}` : 'the row of the earlier batch';
      if (d.earlier) {
        // The occurrence in an earlier batch was written then; its line is not kept.
        out.push(`rows share ${d.label} (an earlier batch and line${d.lines.length > 1 ? 's' : ''} ${d.lines.join(', ')}): ${kept} was kept (${rule})`);
      } else {
        out.push(`${d.lines.length} rows share ${d.label} (lines ${d.lines.join(', ')}): ${kept} was kept (${rule})`);
      }
    }
    const more = this.#keysRepeated - this.#reports.size;
    if (more > 0) out.push(`${more} more id${more === 1 ? '' : 's'} repeated in the input: for each, the row with the newest updated_at (else the last) was kept`);
    return out;
  }

  #report(key: string, lines: number[], earlier: boolean, kept: number, byVersion: boolean): void {
    const known = this.#reports.get(key);
    if (known) {
      known.lines.push(...lines.filter((l) => !known.lines.includes(l)));
      known.kept = kept;
      known.byVersion = byVersion;
      return;
    }
    this.#keysRepeated++;
    if (this.#reports.size >= MAX_DUPLICATE_REPORTS) return;
    const values = key.split('\u001f');
    const cols = this.layout.keyColumns;
    // (source, id) keys read as "transaction_id T1"; the source is the load's own.
    const label = cols.length === 2 && cols[0] === 'source' ? `${cols[1]} ${values[1]}` : cols.map((c, i) => `${c} ${values[i]}`).join(', ');
    this.#reports.set(key, { label, lines: [...lines], earlier, kept, byVersion });
  }

  /**
   * The rows to write, in input order. Rows are not grouped by partition: one insert request is
   * one engine insert (the embedded endpoint spools it; a server squashes it into one block), which
   * writes one part per partition whatever the order.
   */
  #payload(batch: Batch, fate: Uint8Array, written: number): Buffer {
    if (written === 0) return Buffer.alloc(0);
    if (written === batch.rows) return batch.out.bytes();
    let bytes = 0;
    for (let r = 0; r < batch.rows; r++) if (fate[r] === Fate.Write) bytes += batch.rowEnd(r) - batch.rowStart[r];
    // Writes are sequential: one payload buffer serves every batch.
    if (this.#kept.length < bytes) this.#kept = Buffer.allocUnsafe(Math.max(bytes, this.#kept.length * 2));
    const out = this.#kept;
    const src = batch.out.buf;
    let at = 0;
    for (let r = 0; r < batch.rows; ) {
      if (fate[r] !== Fate.Write) {
        r++;
        continue;
      }
      // Runs of written rows are contiguous in the batch: one copy per run.
      const s = batch.rowStart[r];
      while (r < batch.rows && fate[r] === Fate.Write) r++;
      const e = r < batch.rows ? batch.rowStart[r] : batch.out.pos;
      at += src.copy(out, at, s, e);
    }
    return out.subarray(0, at);
  }

  async #isFresh(source: string): Promise<boolean> {
    let fresh = this.#fresh.get(source);
    if (fresh === undefined) {
      const where = this.#hasSource ? 'WHERE source = {source:String}' : '';
      const [r] = await this.io.rows<{ n: string }>(`SELECT count() AS n FROM ${this.io.table(this.layout.table)} ${where}`, { source });
      fresh = Number(r?.n ?? 0) === 0;
      this.#fresh.set(source, fresh);
    }
    return fresh;
  }

  #keyHash(batch: Batch, r: number): number {
    const base = r * batch.keyCount * 2;
    const buf = batch.out.buf;
    let h = hash53(buf, batch.keyOff[base], batch.keyOff[base + 1]);
    for (let k = 1; k < batch.keyCount; k++) h = hashCombine(h, hash53(buf, batch.keyOff[base + k * 2], batch.keyOff[base + k * 2 + 1]));
    return h;
  }

  /** Returns stale rows to delete: [key texts..., customer_id, sort_date]. */
  async #decide(batch: Batch, fate: Uint8Array): Promise<string[][]> {
    const n = batch.rows;
    let lookup: number[] = [];
    const keyHashes = new Float64Array(n);
    let seenOnFresh = false;
    let lastSource = '';
    let lastSourceStart = -1;
    let lastSourceEnd = -1;
    let freshLast = false;
    for (let r = 0; r < n; r++) {
      // The source is key column 0 on tables that have one; it repeats, so compare bytes.
      let fresh: boolean;
      if (this.#hasSource) {
        const s = batch.keyOff[r * batch.keyCount * 2];
        const e = batch.keyOff[r * batch.keyCount * 2 + 1];
        if (lastSourceStart < 0 || !sameBytes(batch.out.buf, lastSourceStart, lastSourceEnd, s, e)) {
          lastSource = batch.keyText(r, 0);
          freshLast = await this.#isFresh(lastSource);
        }
        lastSourceStart = s;
        lastSourceEnd = e;
        fresh = freshLast;
      } else fresh = await this.#isFresh('');
      const h = this.#keyHash(batch, r);
      keyHashes[r] = h;
      const seen = this.#filter.testAndAdd(h);
      if (fresh && !seen) {
        fate[r] = Fate.Write;
        this.#c.loaded++;
      } else {
        lookup.push(r);
        if (fresh) seenOnFresh = true;
      }
    }
    void lastSource;
    if (seenOnFresh) lookup = this.#withEarlierRowsOfSameKey(keyHashes, lookup, fate);
    if (lookup.length === 0) return [];
    // Stored rows are about to be read: earlier batches' rows must be in the table.
    this.#lookedUp = true;
    await this.settle();
    return this.#decideByLookup(batch, lookup, fate);
  }

  /**
   * A row the fast path wrote may share its key with a later row of the batch (the same id twice
   * in one input): such rows go to the lookup too, where the rows of one key are decided together.
   */
  #withEarlierRowsOfSameKey(keyHashes: Float64Array, lookup: number[], fate: Uint8Array): number[] {
    const suspects = new Set<number>();
    for (const r of lookup) suspects.add(keyHashes[r]);
    const out = [...lookup];
    for (let r = 0; r < keyHashes.length; r++) {
      if (fate[r] === Fate.Write && suspects.has(keyHashes[r])) {
        fate[r] = Fate.Skip;
        this.#c.loaded--;
        out.push(r);
      }
    }
    return out.sort((a, b) => a - b);
  }

  async #decideByLookup(batch: Batch, rows: number[], fate: Uint8Array): Promise<string[][]> {
    // Rows with the same key, in input order.
    const byKey = new Map<string, number[]>();
    for (const r of rows) {
      const k = batch.keyString(r);
      const list = byKey.get(k);
      if (list) list.push(r);
      else byKey.set(k, [r]);
    }
    const stored = await this.#lookup([...byKey.keys()]);
    const stale: string[][] = [];
    const root = (id: string): string => (this.refs ? this.refs.root(id) : id);
    for (const [key, list] of byKey) {
      const db = stored.get(key) ?? [];
      const mineOf = (r: number): Stored => ({
        customerId: this.layout.movableCustomer ? batch.customerId(r) : '',
        date: batch.sortDate[r],
        hash: batch.hash[r],
        version: batch.version[r],
        batch: this.input.batchId,
      });
      // 1. One row per key and input: the newest updated_at, else the last row. Rows of this
      // batch, plus a row an earlier batch held back.
      let kept = list[0];
      for (const r of list) if (batch.version[r] >= batch.version[kept]) kept = r;
      // Not the last row: it won by its newer updated_at.
      const byVersion = kept !== list[list.length - 1];
      const held = this.#deferred.get(key);
      if (held) {
        this.#c.duplicatesInInput += list.length;
        if (held.mine.version > batch.version[kept]) {
          // The held-back row is newer: it stays held back, every row of this batch is dropped.
          for (const r of list) fate[r] = Fate.Skip;
          this.#report(key, [held.line, ...list.map((r) => batch.line[r])], false, held.line, true);
          continue;
        }
        this.#deferred.delete(key);
        this.#report(key, [held.line, ...list.map((r) => batch.line[r])], false, batch.line[kept], byVersion);
      } else if (list.length > 1) {
        this.#c.duplicatesInInput += list.length - 1;
        this.#report(key, list.map((r) => batch.line[r]), false, batch.line[kept], byVersion);
      }
      for (const r of list) fate[r] = Fate.Skip;
      // 2. The kept row against what is stored.
      const r = kept;
      const mine = mineOf(r);
      const same = db.find((x) => x.hash === mine.hash && x.date === mine.date && root(x.customerId) === root(mine.customerId));
      const newest = db.reduce((m, x) => Math.max(m, x.version), -1);
      const ownEarlier = this.input.batchId !== '' && db.some((x) => x.batch === this.input.batchId);
      let winner: Stored | undefined;
      if (ownEarlier) {
        // An earlier batch of this input wrote the key: one more row of the same id.
        this.#c.duplicatesInInput++;
        const writeIt = !same && newest <= mine.version;
        this.#report(key, [batch.line[r]], true, writeIt || same ? batch.line[r] : 0, newest > mine.version);
        if (writeIt) {
          fate[r] = Fate.Write;
          winner = mine;
        } else winner = same;
      } else if (same) {
        this.#c.duplicates++;
        winner = same;
      } else if (newest > mine.version) {
        this.#c.outdated++;
      } else if (this.#deferBytes < MAX_DEFER_BYTES && db.some((x) => x.version === newest && this.input.earlierLoads.has(x.batch))) {
        // What is stored came from an earlier load of this very input, yet this row differs: a
        // later row of the input has the same id and won then. Held back until the input ends.
        const bytes = Buffer.from(batch.out.buf.subarray(batch.rowStart[r], batch.rowEnd(r)));
        this.#deferBytes += bytes.length;
        this.#deferred.set(key, { line: batch.line[r], bytes, mine, stored: db });
        continue;
      } else {
        if (db.length > 0) this.#c.updated++;
        else this.#c.loaded++;
        fate[r] = Fate.Write;
        winner = mine;
      }
      winner ??= db.reduce<Stored | undefined>((m, x) => (!m || x.version > m.version ? x : m), undefined);
      if (!winner) continue;
      // A stored row under another sort key (customer or date changed, or the leftover of an
      // interrupted update) would be counted twice: delete it. Same sort key: the engine replaces it.
      for (const x of db) {
        if (x.date !== winner.date || x.customerId !== winner.customerId) stale.push([...key.split('\u001f'), x.customerId, String(x.date)]);
      }
    }
    return stale;
  }

  async #lookup(keys: string[]): Promise<Map<string, Stored[]>> {
    const out = new Map<string, Stored[]>();
    const cols = this.layout.keyColumns;
    const t = this.io.table(this.layout.table);
    // Two rows of one key with the same version (an id repeated in one input without updated_at):
    // the engine keeps the one inserted last, so ties go to the later ingested_at here too.
    const newest = this.layout.hasAudit ? '(version, ingested_at)' : 'version';
    const hashExpr = this.layout.hasAudit
      ? `toString(argMax(row_hash, ${newest})) AS m_hash`
      : this.layout.business.map((c) => `toString(argMax(${c}, ${newest})) AS b_${c}`).join(', ');
    const select = `SELECT ${cols.map((c) => `toString(${c}) AS k_${c}`).join(', ')}, ${this.#selectMovable},
      ${hashExpr}, toString(max(version)) AS m_version, ${this.layout.hasAudit ? `argMax(batch_id, ${newest})` : "''"} AS m_batch FROM ${t}`;
    const group = `GROUP BY ${cols.join(', ')}, m_customer, m_date`;
    const add = (rows: Record<string, string>[]): void => {
      for (const row of rows) {
        const key = cols.map((c) => row[`k_${c}`]).join('\u001f');
        let list = out.get(key);
        if (!list) out.set(key, (list = []));
        const hash = this.layout.hasAudit ? Number(row.m_hash) : this.rehash!(Object.fromEntries(this.layout.business.map((c) => [c, row[`b_${c}`]])));
        list.push({ customerId: row.m_customer, date: Number(row.m_date), hash, version: Number(row.m_version), batch: row.m_batch });
      }
    };
    if (keys.length > SCRATCH_THRESHOLD && this.scratch) {
      // Many keys: one pass over the table joined with the keys in a scratch table, instead of one
      // pass per 10 000 bound values.
      const scratch = await this.scratch.fill(cols.length, keys);
      const inList = cols.length === 1 ? `${cols[0]} ${this.scratch.globalIn}IN (SELECT k1 FROM ${scratch})` : `(${cols[0]}, ${cols[1]}) ${this.scratch.globalIn}IN (SELECT k1, k2 FROM ${scratch})`;
      add(await this.io.rows(`${select} WHERE ${inList} ${group}`));
      return out;
    }
    if (cols.length === 1) {
      for (const part of chunked(keys)) add(await this.io.rows(`${select} WHERE ${cols[0]} IN {ids:Array(String)} ${group}`, { ids: part }));
      return out;
    }
    // Two key columns: group by the first (source or campaign) and bind the second as a list.
    const byFirst = new Map<string, string[]>();
    for (const k of keys) {
      const i = k.indexOf('\u001f');
      const first = k.slice(0, i);
      let list = byFirst.get(first);
      if (!list) byFirst.set(first, (list = []));
      list.push(k.slice(i + 1));
    }
    for (const [first, seconds] of byFirst) {
      for (const part of chunked(seconds)) {
        add(await this.io.rows(`${select} WHERE ${cols[0]} = {first:String} AND ${cols[1]} IN {ids:Array(String)} ${group}`, { first, ids: part }));
      }
    }
    return out;
  }

  async #deleteStale(stale: string[][]): Promise<void> {
    const cols = this.layout.keyColumns;
    const date = this.layout.movableDateColumn;
    const dateExpr = date ? (isDateColumn(date) ? `toString(toUInt16(${date}))` : `toString(toUnixTimestamp(${date}))`) : "'0'";
    const parts = [...cols.map((c) => `toString(${c})`), 'customer_id', dateExpr];
    const keys = stale.map((s) => s.join('\u001f'));
    // A copy kept by a materialized view (transactions_by_customer, migration 018) sees inserts only:
    // the stale row goes from it too, where it exists (not on a cluster), by the same columns.
    const tables = [this.layout.table];
    for (const copy of COPIES_OF[this.layout.table] ?? []) if (await this.io.columnTypes(copy)) tables.push(copy);
    for (const part of chunked(keys, 5_000)) {
      for (const table of tables) {
        await this.io.command(`DELETE FROM ${this.io.table(table)} WHERE concat(${parts.join(", '\\x1F', ")}) IN {keys:Array(String)}`, { keys: part });
      }
    }
    this.#c.staleDeleted += stale.length;
  }
}

function sameBytes(b: Buffer, s1: number, e1: number, s2: number, e2: number): boolean {
  if (e1 - s1 !== e2 - s2) return false;
  for (let i = 0; i < e1 - s1; i++) if (b[s1 + i] !== b[s2 + i]) return false;
  return true;
}

/** Fact tables' movable sort columns: Date (days) or DateTime (seconds). */
function isDateColumn(column: string): boolean {
  return column === 'created_at';
}
