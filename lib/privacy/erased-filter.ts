import type { ClickHouseClient } from '@clickhouse/client';
import { isClickHouseError, qualified, rows } from '../warehouse/sql.ts';
import { KEY_CHECK_KIND, keyCheck, sourceRecordValue, tombstoneHash, type TombstoneKind } from './tombstone.ts';

export const TOMBSTONE_TABLE = 'privacy_tombstones';

/** What a loaded record says about who it is, already in matching form (ingest normalises). */
export interface RecordIdentity {
  source: string;
  /** customers: the record's source_id; facts: customer_ref. */
  sourceId: string;
  emailNorm?: string;
  phoneNorm?: string;
}

/**
 * The ingest hook of erasure: recognises records of erased people by their tombstones. Loaded once
 * per load; `undefined` when nobody was erased, so ordinary loads pay nothing.
 */
export class ErasedFilter {
  private constructor(
    private readonly key: string,
    private readonly hashes: Map<string, Set<string>>,
  ) {}

  /**
   * Reads the tombstones. The key is asked for only when there are tombstones, and checked against
   * the one that wrote them: with another key every erased person would quietly come back.
   */
  static async load(client: ClickHouseClient, database: string, key: () => string): Promise<ErasedFilter | undefined> {
    const found = await rows<{ kind: string; hash: string }>(client, {
      query: `SELECT DISTINCT kind, hash FROM ${qualified(database, TOMBSTONE_TABLE)}`,
    }).catch((e: unknown) => {
      // A warehouse migrated before issue 16 has no tombstone table: nobody was erased there.
      if (isClickHouseError(e, 'UNKNOWN_TABLE')) return [];
      throw e;
    });
    if (found.length === 0) return undefined;
    const k = key();
    const checks = found.filter((r) => r.kind === KEY_CHECK_KIND).map((r) => r.hash);
    if (checks.length > 0 && !checks.includes(keyCheck(k))) {
      throw new Error(
        'the privacy key (CRM_PRIVACY_KEY, or privacyKey in <CRM_DATA_DIR>/secrets.json) is not the one that wrote the tombstones of erased people: ' +
          'loading with it would bring them back. Set CRM_PRIVACY_KEY to the key the erasures were made with',
      );
    }
    const hashes = new Map<string, Set<string>>();
    for (const r of found) {
      if (!hashes.has(r.kind)) hashes.set(r.kind, new Set());
      hashes.get(r.kind)!.add(r.hash);
    }
    return new ErasedFilter(k, hashes);
  }

  /** Number of tombstones (all kinds). */
  get size(): number {
    let n = 0;
    for (const s of this.hashes.values()) n += s.size;
    return n;
  }

  #has(kind: TombstoneKind, value: string | undefined): boolean {
    if (!value) return false;
    const set = this.hashes.get(kind);
    return set !== undefined && set.has(tombstoneHash(this.key, kind, value));
  }

  matches(r: RecordIdentity): boolean {
    return (
      (r.sourceId !== '' && this.#has('source_record', sourceRecordValue(r.source, r.sourceId))) ||
      this.#has('email', r.emailNorm) ||
      this.#has('phone', r.phoneNorm)
    );
  }
}
