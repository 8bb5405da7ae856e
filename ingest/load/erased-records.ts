import type { ClickHouseClient } from '@clickhouse/client';
import { ErasedFilter } from '../../lib/privacy/erased-filter.ts';
import { privacyKey } from '../../lib/privacy/tombstone.ts';
import { byteText } from '../core/byte-text.ts';
import { isKnownCountry, normalizePhone } from '../identity/normalize-phone.ts';
import { normalizeEmail } from '../identity/normalize-email.ts';
import type { CompiledMapping } from '../mapping/compile.ts';
import type { RowInput } from '../sources/row-input.ts';

/**
 * The ingest side of erasure (issue 16, lib/privacy): a record of an erased person is dropped before
 * it is validated, so it reaches neither a table nor the rejects, and counted ("N records of erased
 * people skipped"). A record is the person's when its source record (customers: source and
 * source_id; facts: source and customer_ref), its e-mail or its phone has a tombstone. Built only
 * when the warehouse holds tombstones: other loads do no work per row.
 */
export class ErasedRecords {
  skipped = 0;
  readonly #source: number;
  readonly #id: number;
  readonly #email: number;
  readonly #phone: number;
  readonly #country: number;

  private constructor(
    private readonly filter: ErasedFilter,
    private readonly mapping: CompiledMapping,
  ) {
    const spec = mapping.entity;
    const idx = (name: string | undefined): number => (name ? (mapping.byName.get(name)?.index ?? -1) : -1);
    this.#source = idx('source');
    this.#id = spec.resolvesCustomer ? idx('customer_ref') : spec.resolvesIdentity ? idx(spec.idField) : -1;
    this.#email = mapping.fields.find((f) => f.spec.matchKey === 'email')?.index ?? -1;
    this.#phone = mapping.fields.find((f) => f.spec.matchKey === 'phone')?.index ?? -1;
    this.#country = idx(spec.phoneCountryField);
  }

  /** undefined when nobody was erased or the entity names no person (users). */
  static async load(client: ClickHouseClient, database: string, mapping: CompiledMapping): Promise<ErasedRecords | undefined> {
    const spec = mapping.entity;
    if (!spec.resolvesCustomer && !spec.resolvesIdentity) return undefined;
    const filter = await ErasedFilter.load(client, database, () => privacyKey());
    return filter ? new ErasedRecords(filter, mapping) : undefined;
  }

  /** The field's trimmed text, or its mapping's constant when empty (as the row encoder reads it). */
  #text(row: RowInput, f: number): string {
    if (f < 0) return '';
    const s = row.start[f];
    const v = s >= 0 ? byteText(row.bufs[f], s, row.end[f], row.high).trim() : '';
    return v || (this.mapping.fields[f].constant?.toString('utf8') ?? '');
  }

  /** True (and counted) when the row is an erased person's. */
  skip(row: RowInput): boolean {
    const hit = this.matches(row);
    if (hit) this.skipped++;
    return hit;
  }

  /**
   * Whether a fact naming (source, customer_ref) is an erased person's, for a row without e-mail
   * or phone fields (the engine path: engine-parse.ts takes no entity with match keys).
   */
  matchesRef(source: string, ref: string): boolean {
    return this.filter.matches({ source, sourceId: ref, emailNorm: normalizeEmail(''), phoneNorm: '' });
  }

  /** Whether the row is an erased person's (not counted: identity resolution's first pass). */
  matches(row: RowInput): boolean {
    const country = this.#text(row, this.#country).toUpperCase();
    const phone = this.#text(row, this.#phone);
    return this.filter.matches({
      source: this.#text(row, this.#source),
      sourceId: this.#text(row, this.#id),
      emailNorm: normalizeEmail(this.#text(row, this.#email)),
      phoneNorm: phone ? normalizePhone(phone, isKnownCountry(country) ? country : this.mapping.defaultCountry) : '',
    });
  }
}
