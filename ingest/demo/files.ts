import { csvField, RAW_TOKEN } from './csv.ts';
import { FileSink, type SinkResult } from './file-sink.ts';
import type { Random } from './random.ts';

/**
 * The generated files: their canonical columns (the ingest contract), which columns are free text,
 * and how each file's dirty rows are made. A dirty row is an extra, corrupted copy of a real row with
 * a fresh id, so the clean data — and every planted truth — stays exactly as generated.
 */
export type DirtyKind = 'missing_id' | 'bad_date' | 'negative_quantity' | 'invalid_utf8' | 'unknown_status' | 'unknown_type';

/** Text to be written with broken encoding: Latin-1 bytes when it has accents, else a stray 0xFF 0xFE. */
export class BadBytes {
  constructor(readonly text: string) {}
}

export type Value = string | number | null | BadBytes;

export interface DirtySpec {
  kinds: DirtyKind[];
  idColumn?: string;
  dateColumn?: string;
  dateType?: 'date' | 'datetime';
  textColumn?: string;
  quantityColumn?: string;
  enumColumn?: string;
  unknownValues?: string[];
}

export interface FileSpec {
  file: string;
  entity: string;
  format: 'csv' | 'ndjson';
  columns: readonly string[];
  free: readonly string[];
  dirty: DirtySpec;
}

export const CUSTOMER_COLUMNS = ['source', 'source_id', 'customer_type', 'name', 'email', 'phone', 'company', 'external_ids', 'region', 'country', 'city', 'acquisition_channel', 'owner_id', 'signup_date', 'updated_at'] as const;
const customerDirty: DirtySpec = { kinds: ['missing_id', 'bad_date', 'invalid_utf8', 'unknown_type'], idColumn: 'source_id', dateColumn: 'signup_date', dateType: 'date', textColumn: 'name', enumColumn: 'customer_type', unknownValues: ['reseller', 'household', 'P'] };
const customerSpec = (file: string): FileSpec => ({
  file, entity: 'customers', format: 'csv', columns: CUSTOMER_COLUMNS,
  free: ['name', 'email', 'phone', 'company', 'external_ids', 'region', 'city'], dirty: customerDirty,
});

export const FILES = {
  users: { file: 'users.csv', entity: 'users', format: 'csv', columns: ['user_id', 'email', 'name', 'role', 'owner_id', 'region', 'password_hash'], free: ['name', 'region'], dirty: { kinds: [] } },
  customers_shop: customerSpec('customers_shop.csv'),
  customers_support: customerSpec('customers_support.csv'),
  customers_sales: customerSpec('customers_sales.csv'),
  campaigns: { file: 'campaigns.csv', entity: 'campaigns', format: 'csv', columns: ['campaign_id', 'name', 'channel', 'objective', 'segment_id', 'started_at', 'ended_at', 'budget'], free: ['name'], dirty: { kinds: [] } },
  transactions: {
    file: 'transactions.csv', entity: 'transactions', format: 'csv',
    columns: ['source', 'transaction_id', 'order_id', 'customer_ref', 'order_date', 'status', 'amount', 'currency', 'quantity', 'product_id', 'product_name', 'category', 'channel', 'updated_at'],
    free: ['product_name', 'category'],
    dirty: { kinds: ['missing_id', 'bad_date', 'negative_quantity', 'invalid_utf8', 'unknown_status'], idColumn: 'transaction_id', dateColumn: 'order_date', dateType: 'datetime', textColumn: 'product_name', quantityColumn: 'quantity', enumColumn: 'status', unknownValues: ['shipped_partially', 'on_hold', 'chargeback'] },
  },
  interactions: {
    file: 'interactions.ndjson', entity: 'interactions', format: 'ndjson',
    columns: ['source', 'interaction_id', 'customer_ref', 'occurred_at', 'type', 'channel', 'direction', 'outcome', 'csat', 'campaign_id', 'owner_id', 'subject', 'duration_seconds'],
    free: ['subject'],
    dirty: { kinds: ['missing_id', 'bad_date', 'invalid_utf8', 'unknown_type'], idColumn: 'interaction_id', dateColumn: 'occurred_at', dateType: 'datetime', textColumn: 'subject', enumColumn: 'type', unknownValues: ['fax', 'letter', 'carrier_pigeon'] },
  },
  opportunities: {
    file: 'opportunities.csv', entity: 'opportunities', format: 'csv',
    columns: ['source', 'opportunity_id', 'customer_ref', 'owner_id', 'name', 'product', 'amount', 'currency', 'stage', 'status', 'loss_reason', 'competitor', 'created_at', 'closed_at', 'expected_close_at', 'stage_history', 'notes', 'updated_at', 'discount_pct', 'lead_source', 'contacts_met'],
    free: ['name', 'product', 'stage_history', 'notes'],
    dirty: { kinds: ['missing_id', 'bad_date', 'invalid_utf8', 'unknown_status'], idColumn: 'opportunity_id', dateColumn: 'created_at', dateType: 'date', textColumn: 'notes', enumColumn: 'status', unknownValues: ['stalled', 'abandoned', 'on_hold'] },
  },
  campaign_members: {
    file: 'campaign_members.csv', entity: 'campaign_members', format: 'csv',
    columns: ['campaign_id', 'source', 'customer_ref', 'added_at', 'status', 'responded_at', 'converted_at', 'revenue'],
    free: [],
    dirty: { kinds: ['missing_id', 'bad_date', 'unknown_status'], idColumn: 'customer_ref', dateColumn: 'added_at', dateType: 'datetime', enumColumn: 'status', unknownValues: ['maybe', 'forwarded', 'spam'] },
  },
  consents: {
    file: 'consents.csv', entity: 'consents', format: 'csv',
    columns: ['source', 'consent_id', 'customer_ref', 'purpose', 'status', 'occurred_at', 'channel', 'evidence'],
    free: [],
    dirty: { kinds: [] },
  },
  truth: {
    file: 'truth.csv', entity: 'truth', format: 'csv',
    columns: ['person_id', 'customer_type', 'is_prospect', 'shop_id', 'shop_id_2', 'support_id', 'sales_id', 'owner_id', 'region', 'country', 'signup_date', 'is_churner', 'churn_archetype', 'churn_date', 'drift_start', 'last_purchase_date', 'orders', 'email_norm', 'phone_e164'],
    free: [],
    dirty: { kinds: [] },
  },
} satisfies Record<string, FileSpec>;

export type FileKey = keyof typeof FILES;

/** Share of rows that get a dirty copy. */
export const DIRTY_RATE = 0.005;

const BAD_DATES = {
  date: ['2025-02-30', '2026-13-01', '0000-00-00', 'yesterday', '2025-06-31'],
  datetime: ['2025-02-30 10:15:00', '2026-13-01 08:00:00', '2025-06-31 25:61:00', 'not a date', '0000-00-00 00:00:00'],
};

/** Bytes that are not UTF-8: Latin-1 when the text has accents (a realistic mis-encoded export), else text + 0xFF 0xFE. */
export function invalidUtf8(text: string): Buffer {
  let latin = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) {
      latin = false;
      break;
    }
    if (c >= 0x80) latin = true;
  }
  return latin ? Buffer.from(text, 'latin1') : Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0xff, 0xfe])]);
}

export class EntityWriter {
  private readonly sink: FileSink;
  private readonly freeMask: boolean[];
  private readonly index: Map<string, number>;
  readonly dirty: Partial<Record<DirtyKind, number>> = {};
  dirtyRows = 0;

  constructor(readonly spec: FileSpec, path: string) {
    this.sink = new FileSink(path, spec.format === 'csv' ? spec.columns.join(',') : undefined);
    this.freeMask = spec.columns.map((c) => spec.free.includes(c));
    this.index = new Map(spec.columns.map((c, i) => [c, i]));
  }

  col(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw new Error(`${this.spec.file} has no column ${name}`);
    return i;
  }

  get full(): boolean {
    return this.sink.full;
  }

  flush(): Promise<void> {
    return this.sink.flush();
  }

  close(): Promise<SinkResult> {
    return this.sink.close();
  }

  destroy(): void {
    this.sink.destroy();
  }

  get rows(): number {
    return this.sink.rows;
  }

  /** A line already in this file's format (hot paths build their lines directly). */
  line(text: string): void {
    this.sink.line(text);
  }

  write(values: readonly Value[]): void {
    let raw: Buffer | undefined;
    let line: string;
    if (this.spec.format === 'ndjson') {
      // Hand-built JSON: keys are fixed identifiers and only free-text columns can need escaping.
      line = '{';
      const cols = this.spec.columns;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        line += (i > 0 ? ',"' : '"') + cols[i] + '":';
        if (v instanceof BadBytes) {
          raw = invalidUtf8(JSON.stringify(v.text).slice(1, -1));
          line += `"${RAW_TOKEN}"`;
        } else if (typeof v === 'string') line += this.freeMask[i] ? JSON.stringify(v) : `"${v}"`;
        else if (typeof v === 'number') line += String(v);
        else line += 'null';
      }
      line += '}';
    } else {
      line = '';
      for (let i = 0; i < values.length; i++) {
        if (i > 0) line += ',';
        const v = values[i];
        if (v instanceof BadBytes) {
          const quoted = csvField(v.text);
          const needsQuotes = quoted !== v.text;
          raw = invalidUtf8(needsQuotes ? quoted.slice(1, -1) : v.text);
          line += needsQuotes ? `"${RAW_TOKEN}"` : RAW_TOKEN;
        } else if (typeof v === 'string') line += this.freeMask[i] ? csvField(v) : v;
        else if (typeof v === 'number') line += String(v);
      }
    }
    if (raw) this.sink.lineWithRaw(line, raw);
    else this.sink.line(line);
  }

  /**
   * Maybe (DIRTY_RATE) writes a corrupted copy of `values`. `freshId` gives the copy its own id, so
   * a lenient loader that accepts it adds a row instead of overwriting a good one.
   */
  maybeDirty(rng: Random, values: readonly Value[], freshId?: () => string): void {
    const kinds = this.spec.dirty.kinds;
    if (kinds.length === 0 || !rng.chance(DIRTY_RATE)) return;
    this.writeDirty(rng, rng.pick(kinds), values, freshId);
  }

  writeDirty(rng: Random, kind: DirtyKind, values: readonly Value[], freshId?: () => string): void {
    const d = this.spec.dirty;
    const copy = values.slice();
    if (d.idColumn && freshId) copy[this.col(d.idColumn)] = freshId();
    switch (kind) {
      case 'missing_id':
        copy[this.col(d.idColumn!)] = '';
        break;
      case 'bad_date':
        copy[this.col(d.dateColumn!)] = rng.pick(BAD_DATES[d.dateType!]);
        break;
      case 'negative_quantity': {
        const i = this.col(d.quantityColumn!);
        copy[i] = `-${copy[i]}`;
        break;
      }
      case 'invalid_utf8': {
        const i = this.col(d.textColumn!);
        const text = copy[i];
        copy[i] = new BadBytes(typeof text === 'string' && text !== '' ? text : 'Rückfrage zur Bestellung');
        break;
      }
      case 'unknown_status':
      case 'unknown_type':
        copy[this.col(d.enumColumn!)] = rng.pick(d.unknownValues!);
        break;
    }
    this.dirty[kind] = (this.dirty[kind] ?? 0) + 1;
    this.dirtyRows++;
    this.write(copy);
  }
}
