import { createWriteStream, unlinkSync, type WriteStream } from 'node:fs';
import { isOwnPlainFile, openOwnFileForWriting } from '../../lib/files/own-file.ts';
import { csvRow } from '../../lib/csv/escape-cell.ts';
import type { EntityName } from '../entities/types.ts';
import type { Reject } from '../types.ts';
import type { RejectRow } from './batch.ts';
import type { WarehouseIO } from '../core/warehouse-io.ts';

const KEEP_IN_SUMMARY = 1000;

/**
 * Quarantine: every bad row goes to the `rejects` table and to a CSV file a person can open.
 * The table is keyed by (entity, file content hash, line, field): re-loading the same file does not
 * repeat its rejects; the CSV file is rewritten by every run.
 *
 * Bad rows are the likeliest place for a planted spreadsheet formula, and the CSV is made to be
 * opened in a spreadsheet: its cells are neutralised (lib/csv/escape-cell.ts, a leading
 * apostrophe). The `rejects` table keeps `raw` exactly as read; restoreCell() undoes the CSV's.
 */
export class RejectSink {
  /** Rejected rows (a row with two bad fields is one row, two rejects). */
  count = 0;
  /** Of them, return/credit lines (a negative quantity, amount or unit price: entity.creditSigns). */
  creditLines = 0;
  readonly first: Reject[] = [];
  #known = new Set<string>();
  #file: WriteStream | undefined;

  constructor(
    readonly io: WarehouseIO,
    readonly entity: EntityName,
    readonly sourceFile: string,
    readonly fileSha256: string,
    readonly batchId: string,
    readonly runVersion: number,
    readonly csvPath: string | undefined,
  ) {}

  async init(): Promise<void> {
    const rows = await this.io.rows<{ line: string; field: string }>(
      `SELECT DISTINCT line, field FROM ${this.io.table('rejects')} WHERE entity = {entity:String} AND file_sha256 = {sha:String}`,
      { entity: this.entity, sha: this.fileSha256 },
    );
    this.#known = new Set(rows.map((r) => `${r.line}\u001f${r.field}`));
  }

  async write(rows: readonly RejectRow[]): Promise<void> {
    if (rows.length === 0) return;
    let prevLine = -1;
    for (const r of rows) {
      if (r.line !== prevLine) {
        this.count++;
        if (r.credit) this.creditLines++;
      }
      prevLine = r.line;
    }
    for (const r of rows) if (this.first.length < KEEP_IN_SUMMARY) this.first.push({ line: r.line, recordId: r.recordId, field: r.field, reason: r.reason });
    if (this.csvPath) {
      if (!this.#file) {
        this.#file = createWriteStream('', { fd: openPrivate(this.csvPath) });
        this.#file.write('source_file,line,record_id,field,reason,raw\n');
      }
      const text = rows.map((r) => csvRow([this.sourceFile, r.line, r.recordId, r.field, r.reason, r.raw])).join('\n');
      if (!this.#file.write(`${text}\n`)) await new Promise<void>((res) => this.#file!.once('drain', () => res()));
    }
    const fresh = rows.filter((r) => !this.#known.has(`${r.line}\u001f${r.field}`));
    for (const r of fresh) this.#known.add(`${r.line}\u001f${r.field}`);
    await this.io.insertRows(
      'rejects',
      fresh.map((r) => ({
        entity: this.entity,
        source_file: this.sourceFile,
        file_sha256: this.fileSha256,
        line: r.line,
        record_id: r.recordId,
        field: r.field,
        reason: r.reason,
        raw: r.raw,
        batch_id: this.batchId,
        version: this.runVersion,
      })),
    );
  }

  /** Closes the CSV file; without rejects, removes a stale one from an earlier run. */
  async close(): Promise<string | undefined> {
    if (this.#file) {
      const f = this.#file;
      await new Promise<void>((res, rej) => f.end((err?: Error | null) => (err ? rej(err) : res())));
      return this.csvPath;
    }
    if (this.csvPath && isOwnPlainFile(this.csvPath)) unlinkSync(this.csvPath);
    return undefined;
  }
}

/**
 * The rejects file for writing, readable by this user only: it holds rejected lines as read —
 * names, e-mails, phones. Created with the default umask (0644) it let any local user read what a
 * 0600 source file kept from them (fourth security review). It sits beside the loaded export, often
 * in a folder others can write to: a link planted at its name is refused, not written through
 * (ninth review, lib/files/own-file.ts).
 */
function openPrivate(path: string): number {
  return openOwnFileForWriting(path, 'the rejects file');
}
