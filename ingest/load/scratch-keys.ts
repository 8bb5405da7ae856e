import { SCRATCH_TABLE_PREFIXES } from '../../lib/warehouse/scratch-tables.ts';
import { OutBuffer } from './out-buffer.ts';
import type { WarehouseIO } from '../core/warehouse-io.ts';

const PREFIX = SCRATCH_TABLE_PREFIXES.keys;

/**
 * A per-load Memory table holding the keys of one batch, so "which of these keys exist" is one
 * pass over the target table (`… IN (SELECT …)`) however many keys there are, and no bound
 * parameter list grows past what a server accepts in a URL. Dropped when the load ends; tables left
 * by a killed load are dropped by the next load once theirs is no longer running (or after a day).
 */
export class ScratchKeys {
  readonly name: string;
  /** `GLOBAL ` on a cluster: the keys live on the node the client talks to. */
  readonly globalIn: string;
  #created = false;

  constructor(
    readonly io: WarehouseIO,
    batchId: string,
    cluster: string | undefined,
  ) {
    this.name = `${PREFIX}${batchId.replace(/[^A-Za-z0-9_]/g, '_')}`;
    this.globalIn = cluster ? 'GLOBAL ' : '';
  }

  /** Replaces the table's contents with `keys` (\x1f-joined key columns); returns the qualified name. */
  async fill(columns: number, keys: readonly string[]): Promise<string> {
    const table = this.io.table(this.name);
    if (!this.#created) {
      await this.io.command(`CREATE TABLE IF NOT EXISTS ${table} (k1 String, k2 String) ENGINE = Memory`);
      this.#created = true;
    } else await this.io.command(`TRUNCATE TABLE ${table}`);
    const out = new OutBuffer(keys.length * 24 + 1024);
    for (const k of keys) {
      const i = columns > 1 ? k.indexOf('\u001f') : -1;
      out.text(i < 0 ? k : k.slice(0, i));
      out.byte(9);
      if (i >= 0) out.text(k.slice(i + 1));
      out.byte(10);
    }
    await this.io.insertTsv(this.name, ['k1', 'k2'], out.bytes());
    return table;
  }

  async drop(): Promise<void> {
    if (this.#created) await this.io.command(`DROP TABLE IF EXISTS ${this.io.table(this.name)}`);
    this.#created = false;
  }

  /** Drops scratch tables of loads that are over (or older than a day). */
  static async dropLeftovers(io: WarehouseIO, database: string): Promise<void> {
    const rows = await io.rows<{ name: string; old: number }>(
      `SELECT name, metadata_modification_time < now() - INTERVAL 1 DAY AS old FROM system.tables
       WHERE database = {db:String} AND startsWith(name, {prefix:String})`,
      { db: database, prefix: PREFIX },
    );
    if (rows.length === 0) return;
    const running = new Set(
      (await io.rows<{ batch_id: string }>(`SELECT batch_id FROM ${io.table('ingest_batches')} FINAL WHERE status = 'running'`)).map((r) =>
        `${PREFIX}${r.batch_id.replace(/[^A-Za-z0-9_]/g, '_')}`,
      ),
    );
    for (const r of rows) {
      if (Number(r.old) === 1 || !running.has(r.name)) await io.command(`DROP TABLE IF EXISTS ${io.table(r.name)}`);
    }
  }
}
