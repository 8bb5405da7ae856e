import type { Batch } from '../load/batch.ts';
import { hash53 } from '../load/hash.ts';
import { KeyFilter } from '../load/key-filter.ts';
import type { CustomerIdSource } from '../load/row-encoder.ts';
import { chunked, type WarehouseIO } from '../load/warehouse-io.ts';
import { loadAliases, rootOf } from './aliases.ts';
import { customerIdFor } from './customer-id.ts';

const CACHE_LIMIT = 500_000;

/**
 * Facts name their customer by (source, customer_ref); this finds the customer id in identity_map
 * (following merges to the surviving id). A reference with no customer record still loads: it gets
 * the id its customer record would get (customerIdFor(source, ref)) and an identity_map stub with
 * rule `unmatched`, so a customer file loaded later claims the same id.
 *
 * Cheap on a fresh source: when identity_map has no row for a source when the run first sees it,
 * a reference the in-run filter has not seen is certainly new and needs no lookup.
 */
export class RefResolver implements CustomerIdSource {
  readonly #cache = new Map<string, Map<string, Buffer>>();
  #cacheSize = 0;
  readonly #fresh = new Map<string, boolean>();
  readonly #written = new KeyFilter(25);
  #aliases: Map<string, string> = new Map();
  /** Distinct references without a customer record seen in this run. */
  unknownCustomers = 0;
  readonly #unknownCounted = new KeyFilter(24);

  constructor(
    readonly io: WarehouseIO,
    readonly runVersion: number,
  ) {}

  async init(): Promise<void> {
    this.#aliases = await loadAliases(this.io);
  }

  idFor(source: string, ref: string): Buffer | undefined {
    return this.#cache.get(source)?.get(ref);
  }

  #remember(source: string, ref: string, id: string): Buffer {
    if (this.#cacheSize >= CACHE_LIMIT) {
      this.#cache.clear();
      this.#cacheSize = 0;
    }
    let m = this.#cache.get(source);
    if (!m) this.#cache.set(source, (m = new Map()));
    const b = Buffer.from(id, 'latin1');
    m.set(ref, b);
    this.#cacheSize++;
    return b;
  }

  #countUnknown(source: string, ref: string): void {
    const b = Buffer.from(`${source}\u001f${ref}`);
    if (!this.#unknownCounted.testAndAdd(hash53(b, 0, b.length))) this.unknownCustomers++;
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
    if (batch.pendingRefs.length === 0) return;
    const ids: Buffer[] = new Array(batch.pendingRefs.length);
    const toQuery = new Map<string, number[]>();
    const stubs: Record<string, unknown>[] = [];
    const newStub = (i: number, source: string, ref: string): void => {
      const id = customerIdFor(source, ref);
      ids[i] = this.#remember(source, ref, id);
      const b = Buffer.from(`${source}\u001f${ref}`);
      this.#written.testAndAdd(hash53(b, 0, b.length));
      this.#countUnknown(source, ref);
      stubs.push({ source, source_id: ref, customer_id: id, rule: 'unmatched', matched_on: '', matched_record: '', version: this.runVersion });
    };
    for (let i = 0; i < batch.pendingRefs.length; i++) {
      const { source, ref } = batch.pendingRefs[i];
      const cached = this.idFor(source, ref);
      if (cached) {
        ids[i] = cached;
        continue;
      }
      const b = Buffer.from(`${source}\u001f${ref}`);
      if ((await this.#isFresh(source)) && !this.#written.mayHave(hash53(b, 0, b.length))) {
        newStub(i, source, ref);
        continue;
      }
      let list = toQuery.get(source);
      if (!list) toQuery.set(source, (list = []));
      list.push(i);
    }
    for (const [source, list] of toQuery) {
      for (const part of chunked(list)) {
        const refs = part.map((i) => batch.pendingRefs[i].ref);
        const found = await this.io.rows<{ source_id: string; customer_id: string; rule: string }>(
          `SELECT source_id, argMax(customer_id, version) AS customer_id, argMax(rule, version) AS rule
           FROM ${this.io.table('identity_map')}
           WHERE source = {source:String} AND source_id IN {refs:Array(String)}
           GROUP BY source_id`,
          { source, refs },
        );
        const byRef = new Map(found.map((r) => [r.source_id, r]));
        for (const i of part) {
          const ref = batch.pendingRefs[i].ref;
          const hit = byRef.get(ref);
          if (hit) {
            ids[i] = this.#remember(source, ref, rootOf(this.#aliases, hit.customer_id));
            if (hit.rule === 'unmatched') this.#countUnknown(source, ref);
          } else newStub(i, source, ref);
        }
      }
    }
    // Stubs first: a crash after them and before the facts leaves only ids a re-run computes again.
    await this.io.insertRows('identity_map', stubs);
    const buf = batch.out.buf;
    for (let r = 0; r < batch.rows; r++) {
      const p = batch.pendingRef[r];
      if (p < 0) continue;
      ids[p].copy(buf, batch.custOff[r]);
      batch.pendingRef[r] = -1;
    }
  }

  /** Maps a stored fact's customer id through merges (for "did the customer really change"). */
  root(id: string): string {
    return rootOf(this.#aliases, id);
  }
}
