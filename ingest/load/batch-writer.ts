import type { RefResolver } from './resolve-refs.ts';
import type { Batch } from './batch.ts';
import { hash53, hashCombine } from './hash.ts';
import { KeyFilter } from './key-filter.ts';
import type { RejectSink } from './rejects.ts';
import type { TableLayout } from './table-layout.ts';
import type { ScratchKeys } from './scratch-keys.ts';
import { chunked, type WarehouseIO } from '../core/warehouse-io.ts';

/** Above this many keys a lookup goes through a scratch table (see ScratchKeys). */
const SCRATCH_THRESHOLD = 20_000;

export interface WriteCounts {
  loaded: number;
  updated: number;
  duplicates: number;
  outdated: number;
  staleDeleted: number;
}

interface Stored {
  customerId: string;
  date: number;
  hash: number;
  version: number;
}

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
 */
export class BatchWriter {
  readonly counts: WriteCounts = { loaded: 0, updated: 0, duplicates: 0, outdated: 0, staleDeleted: 0 };
  readonly #filter = new KeyFilter();
  readonly #fresh = new Map<string, boolean>();
  readonly #hasSource: boolean;
  readonly #selectMovable: string;
  #kept = Buffer.allocUnsafe(0);

  constructor(
    readonly io: WarehouseIO,
    readonly layout: TableLayout,
    readonly rejects: RejectSink,
    readonly refs: RefResolver | undefined,
    /** Tables without row_hash (users): hashes stored rows (business columns as text) the way the encoder would. */
    readonly rehash?: (row: Record<string, string>) => number,
    readonly scratch?: ScratchKeys,
  ) {
    this.#hasSource = layout.keyColumns[0] === 'source';
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
    const fate = new Uint8Array(batch.rows);
    const stale = await this.#decide(batch, fate);
    lap('decide');
    let written = 0;
    for (let r = 0; r < batch.rows; r++) written += fate[r];
    const payload = this.#payload(batch, fate, written);
    if (written > 0) await this.io.insertTsv(this.layout.table, this.layout.columns, payload);
    lap('insert');
    if (stale.length > 0) await this.#deleteStale(stale);
    lap('stale');
    await this.rejects.write(batch.rejects);
    lap('rejects');
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
    const lookup: number[] = [];
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
      const seen = this.#filter.testAndAdd(this.#keyHash(batch, r));
      if (fresh && !seen) {
        fate[r] = Fate.Write;
        this.counts.loaded++;
      } else lookup.push(r);
    }
    void lastSource;
    if (lookup.length === 0) return [];
    return this.#decideByLookup(batch, lookup, fate);
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
      // Live versions of this key: what is stored, then what this batch accepted so far.
      let live: Stored[] = db;
      let accepted = -1;
      let winner: Stored | undefined;
      for (const r of list) {
        const mine: Stored = { customerId: this.layout.movableCustomer ? batch.customerId(r) : '', date: batch.sortDate[r], hash: batch.hash[r], version: batch.version[r] };
        const same = live.find((x) => x.hash === mine.hash && x.date === mine.date && root(x.customerId) === root(mine.customerId));
        if (same) {
          fate[r] = Fate.Skip;
          this.counts.duplicates++;
          winner = same;
          live = [same];
          continue;
        }
        const newest = live.reduce((m, x) => Math.max(m, x.version), -1);
        if (newest > mine.version) {
          fate[r] = Fate.Skip;
          this.counts.outdated++;
          continue;
        }
        if (live.length > 0) this.counts.updated++;
        else this.counts.loaded++;
        fate[r] = Fate.Write;
        // An earlier line of this batch with the same key is superseded, not written.
        if (accepted >= 0) fate[accepted] = Fate.Skip;
        accepted = r;
        winner = mine;
        live = [mine];
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
    const hashExpr = this.layout.hasAudit
      ? 'toString(argMax(row_hash, version)) AS m_hash'
      : this.layout.business.map((c) => `toString(argMax(${c}, version)) AS b_${c}`).join(', ');
    const select = `SELECT ${cols.map((c) => `toString(${c}) AS k_${c}`).join(', ')}, ${this.#selectMovable},
      ${hashExpr}, toString(max(version)) AS m_version FROM ${t}`;
    const group = `GROUP BY ${cols.join(', ')}, m_customer, m_date`;
    const add = (rows: Record<string, string>[]): void => {
      for (const row of rows) {
        const key = cols.map((c) => row[`k_${c}`]).join('\u001f');
        let list = out.get(key);
        if (!list) out.set(key, (list = []));
        const hash = this.layout.hasAudit ? Number(row.m_hash) : this.rehash!(Object.fromEntries(this.layout.business.map((c) => [c, row[`b_${c}`]])));
        list.push({ customerId: row.m_customer, date: Number(row.m_date), hash, version: Number(row.m_version) });
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
    for (const part of chunked(keys, 5_000)) {
      await this.io.command(
        `DELETE FROM ${this.io.table(this.layout.table)} WHERE concat(${parts.join(", '\\x1F', ")}) IN {keys:Array(String)}`,
        { keys: part },
      );
    }
    this.counts.staleDeleted += stale.length;
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
