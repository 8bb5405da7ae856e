import { tsvUnescape, type Batch } from './batch.ts';
import { BytesMap } from './bytes-map.ts';
import { hash53 } from './hash.ts';
import { KeyFilter } from './key-filter.ts';
import { OutBuffer } from './out-buffer.ts';
import type { CustomerIdSource, FastRefs } from '../core/customer-id-source.ts';
import { chunked, type WarehouseIO } from '../core/warehouse-io.ts';
import { loadAliases, rootOf } from '../identity/aliases.ts';
import { customerIdFor } from '../identity/customer-id.ts';

/** Distinct references kept between batches; beyond it the cache starts over (memory stays flat). */
const CACHE_LIMIT = 1_000_000;
/** References without a customer record remembered per run (for customers from facts); beyond it, the whole source is checked. */
const UNMATCHED_LIMIT = 500_000;
const ID = 14;

/**
 * Facts name their customer by (source, customer_ref); this finds the customer id in identity_map
 * (following merges to the surviving id). A reference with no customer record still loads: it gets
 * the id its customer record would get (customerIdFor(source, ref)) and an identity_map stub with
 * rule `unmatched`, so a customer file loaded later claims the same id.
 *
 * Cheap on a fresh source: when identity_map has no row for a source when the run first sees it,
 * a reference the in-run filter has not seen is certainly new and needs no lookup. Known
 * references are found by their bytes (BytesMap), without a string per row.
 */
export class RefResolver implements CustomerIdSource, FastRefs {
  readonly #map = new BytesMap(ID, 1 << 16);
  readonly #tags = new Map<string, number>();
  readonly #sources: string[] = [];
  readonly #fresh = new Map<string, boolean>();
  readonly #written = new KeyFilter(25);
  #aliases: Map<string, string> = new Map();
  /** Distinct references without a customer record seen in this run. */
  unknownCustomers = 0;
  readonly #unknownCounted = new KeyFilter(24);
  readonly fast: FastRefs = this;

  constructor(
    readonly io: WarehouseIO,
    readonly runVersion: number,
  ) {}

  async init(): Promise<void> {
    this.#aliases = await loadAliases(this.io);
  }

  #unmatched: Map<string, Set<string>> | undefined = new Map();
  #unmatchedCount = 0;

  /**
   * The references of this run that have no customer record, per source (`refs` undefined: too
   * many to list, take the whole source). Customers from facts alone are created for these.
   */
  unmatchedRefs(): { source: string; refs?: string[] }[] {
    if (!this.#unmatched) return this.#sources.map((source) => ({ source }));
    return [...this.#unmatched].map(([source, refs]) => ({ source, refs: [...refs] }));
  }

  #noteUnmatched(source: string, ref: string): void {
    const all = this.#unmatched;
    if (!all) return;
    let refs = all.get(source);
    if (!refs) all.set(source, (refs = new Set()));
    if (refs.has(ref)) return;
    refs.add(ref);
    if (++this.#unmatchedCount > UNMATCHED_LIMIT) this.#unmatched = undefined;
  }

  tagOf(source: string): number {
    let t = this.#tags.get(source);
    if (t === undefined) {
      t = this.#sources.length;
      this.#sources.push(source);
      this.#tags.set(source, t);
    }
    return t;
  }

  idOffset(tag: number, b: Uint8Array, s: number, e: number): number {
    const entry = this.#map.find(tag, b, s, e, BytesMap.hash(tag, b, s, e));
    return entry >= 0 && this.#map.resolved[entry] === 1 ? entry * ID : -1;
  }

  values(): Buffer {
    return this.#map.values;
  }

  idFor(source: string, ref: string): Buffer | undefined {
    const key = tsvKey(ref);
    const at = this.idOffset(this.tagOf(source), key, 0, key.length);
    return at >= 0 ? Buffer.from(this.#map.values.subarray(at, at + ID)) : undefined;
  }

  #countUnknown(keyHash: number): void {
    if (!this.#unknownCounted.testAndAdd(keyHash)) this.unknownCustomers++;
  }

  async #isFresh(source: string): Promise<boolean> {
    let fresh = this.#fresh.get(source);
    if (fresh === undefined) {
      const [r] = await this.io.rows<{ n: string }>(`SELECT count() AS n FROM ${this.io.table('identity_map')} WHERE source = {source:String}`, { source });
      fresh = Number(r?.n ?? 0) === 0;
      this.#fresh.set(source, fresh);
    }
    return fresh;
  }

  /** Looks up the batch's unknown references, writes stubs for new ones, and patches the payload. */
  async resolve(batch: Batch): Promise<void> {
    if (batch.pendingCount === 0 && batch.pendingRefs.length === 0) return;
    // Safe point to start the cache over: batches keep reference bytes, not cache entries.
    if (this.#map.size > CACHE_LIMIT) this.#map.clear();
    const map = this.#map;
    const out = batch.out.buf;
    const rowEntry = new Int32Array(batch.rows).fill(-1);
    const unresolved: number[] = [];
    const marked = new Set<number>();
    const need = (entry: number): void => {
      if (map.resolved[entry] === 0 && !marked.has(entry)) {
        marked.add(entry);
        unresolved.push(entry);
      }
    };
    for (let r = 0; r < batch.rows; r++) {
      const p = batch.pendingRef[r];
      if (p === -1) continue;
      let entry: number;
      if (p === -2) {
        const tag = batch.refTag[r];
        const s = batch.refStart[r];
        const e = batch.refEnd[r];
        entry = map.findOrAdd(tag, out, s, e, BytesMap.hash(tag, out, s, e));
      } else {
        const { source, ref } = batch.pendingRefs[p];
        const tag = this.tagOf(source);
        const key = tsvKey(ref);
        entry = map.findOrAdd(tag, key, 0, key.length, BytesMap.hash(tag, key, 0, key.length));
      }
      rowEntry[r] = entry;
      need(entry);
    }

    const stubs = new OutBuffer(1 << 16);
    let stubCount = 0;
    const toQuery = new Map<string, { entry: number; ref: string; keyHash: number }[]>();
    // Per source: fresh or not, and its TSV bytes (asked and encoded once, not once per reference).
    const sourceInfo = new Map<number, { fresh: boolean; tsv: Buffer }>();
    const newStub = (entry: number, source: string, sourceTsv: Buffer, ref: string, refTsv: Buffer, keyHash: number): void => {
      const id = customerIdFor(source, ref);
      map.set(entry, Buffer.from(id, 'latin1'));
      this.#written.testAndAdd(keyHash);
      this.#countUnknown(keyHash);
      this.#noteUnmatched(source, ref);
      // source, source_id, customer_id, rule, version (TabSeparated); the cache key is the
      // reference already TSV-escaped.
      stubs.raw(sourceTsv, 0, sourceTsv.length);
      stubs.byte(9);
      stubs.raw(refTsv, 0, refTsv.length);
      stubs.byte(9);
      stubs.ascii(id);
      stubs.ascii('\tunmatched\t');
      stubs.uint(this.runVersion);
      stubs.byte(10);
      stubCount++;
    };
    for (const entry of unresolved) {
      const tag = map.tag(entry);
      const source = this.#sources[tag];
      let info = sourceInfo.get(tag);
      if (!info) sourceInfo.set(tag, (info = { fresh: await this.#isFresh(source), tsv: tsvKey(source) }));
      const refTsv = map.key(entry);
      const ref = tsvUnescape(refTsv, 0, refTsv.length);
      const keyHash = refKeyHash(source, ref);
      if (info.fresh && !this.#written.mayHave(keyHash)) {
        newStub(entry, source, info.tsv, ref, refTsv, keyHash);
        continue;
      }
      let list = toQuery.get(source);
      if (!list) toQuery.set(source, (list = []));
      list.push({ entry, ref, keyHash });
    }
    for (const [source, list] of toQuery) {
      for (const part of chunked(list)) {
        const found = await this.io.rows<{ source_id: string; customer_id: string; rule: string }>(
          `SELECT source_id, argMax(customer_id, version) AS customer_id, argMax(rule, version) AS rule
           FROM ${this.io.table('identity_map')}
           WHERE source = {source:String} AND source_id IN {refs:Array(String)}
           GROUP BY source_id`,
          { source, refs: part.map((x) => x.ref) },
        );
        const byRef = new Map(found.map((r) => [r.source_id, r]));
        for (const { entry, ref, keyHash } of part) {
          const hit = byRef.get(ref);
          if (hit) {
            map.set(entry, Buffer.from(rootOf(this.#aliases, hit.customer_id), 'latin1'));
            if (hit.rule === 'unmatched') {
              this.#countUnknown(keyHash);
              this.#noteUnmatched(source, ref);
            }
          } else newStub(entry, source, tsvKey(source), ref, map.key(entry), keyHash);
        }
      }
    }
    // Stubs first: a crash after them and before the facts leaves only ids a re-run computes again.
    if (stubCount > 0) await this.io.insertTsv('identity_map', ['source', 'source_id', 'customer_id', 'rule', 'version'], stubs.bytes());
    const values = map.values;
    for (let r = 0; r < batch.rows; r++) {
      const entry = rowEntry[r];
      if (entry < 0) continue;
      // 14 bytes: a loop beats Buffer.copy's per-call cost (a million calls per million rows).
      const to = batch.custOff[r];
      const from = entry * ID;
      for (let i = 0; i < ID; i++) out[to + i] = values[from + i];
      batch.pendingRef[r] = -1;
    }
  }

  /** Maps a stored fact's customer id through merges (for "did the customer really change"). */
  root(id: string): string {
    return rootOf(this.#aliases, id);
  }
}

/** The in-run filters' key of a reference: hash of `source \x1f ref` (UTF-8). */
function refKeyHash(source: string, ref: string): number {
  const k = Buffer.from(`${source}\u001f${ref}`);
  return hash53(k, 0, k.length);
}

/** A reference as the payload holds it (TSV-escaped), the cache's key. */
function tsvKey(ref: string): Buffer {
  const o = new OutBuffer(ref.length * 2 + 8);
  o.text(ref);
  return Buffer.from(o.bytes());
}
