import { existsSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isOwnPlainFile } from '../files/own-file.ts';

/**
 * Files the product writes that can hold a person: the rejects CSV beside each loaded file
 * (`<file>.rejects.csv`, ingest/load/rejects.ts) and the alert outbox (`<data dir>/outbox/<owner>/
 * <window>-<delivery id>.eml` and `.json`, alerts/deliver/outbox-files.ts). Logs go to stderr: the
 * product keeps no log file of its own.
 */
export interface FileChange {
  path: string;
  action: 'rewritten' | 'deleted';
  /** Records (CSV rows) removed, or 1 for a deleted file. */
  records: number;
}

/** Splits CSV text into records (a quoted cell may hold line breaks), keeping each record's text. */
export function csvRecords(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === '\n' && !quoted) {
      out.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/**
 * Whether `path` is a rejects file as the loads write it: a plain file of this user with one name
 * (ingest/load/rejects.ts writes through nothing else). A link a colleague planted at such a name
 * is not the product's file; reading or rewriting through it would reach whatever it points to
 * (ninth security review).
 */
export const isRejectsFileOfOurs = isOwnPlainFile;

/** Removes the records that mention the person from a rejects CSV (the header stays). */
export function scrubRejectsFile(path: string, pattern: RegExp, dryRun: boolean): FileChange | undefined {
  if (!isRejectsFileOfOurs(path)) return undefined;
  const records = csvRecords(readFileSync(path, 'utf8'));
  const keep = records.filter((r, i) => i === 0 || !pattern.test(r));
  const removed = records.length - keep.length;
  if (removed === 0) return undefined;
  if (!dryRun) {
    const temp = `${path}.${process.pid}.tmp`;
    // 'wx': a name planted at the temporary name (a link to a file of ours) is an error, not a target.
    try {
      writeFileSync(temp, keep.join(''), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      throw new Error(`could not rewrite the rejects file ${path}: ${temp} is in the way (${(err as NodeJS.ErrnoException).code}); remove it and erase again`, { cause: err });
    }
    renameSync(temp, path);
  }
  return { path, action: 'rewritten', records: removed };
}

/**
 * Deletes the outbox digests that concern the person: those of their ledger deliveries, and any
 * whose text names them. A digest lists several customers of one owner; it is a delivered copy, and
 * the other customers' alerts stay in the ledger and the owner's mailbox.
 */
export function scrubOutbox(outboxDir: string, deliveryIds: readonly string[], pattern: RegExp, dryRun: boolean): FileChange[] {
  if (!existsSync(outboxDir)) return [];
  const changes: FileChange[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path);
      else if (st.isFile()) {
        const ours = deliveryIds.some((id) => id && name.includes(id)) || pattern.test(readFileSync(path, 'utf8'));
        if (!ours) continue;
        if (!dryRun) unlinkSync(path);
        changes.push({ path, action: 'deleted', records: 1 });
      }
    }
  };
  walk(outboxDir);
  return changes;
}
