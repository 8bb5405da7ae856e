/**
 * Where digests live in the outbox: `<outbox>/<owner>/<window>-<delivery id>.eml` (+ `.json`).
 * File-system only (no nodemailer), so readers such as the inbox stay light.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Digest } from '../digest.ts';

const SAFE_OWNER = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,100}$/;
// The encoding's prefix is reserved: a plain id that starts with it is encoded too, so no plain id
// can name the folder of an encoded one (`x-612062` was the folder of both `a b` and `x-612062`:
// owner ids come from source systems, which can set any). Either case, for case-insensitive disks.
const RESERVED = /^x-/i;

const hexName = (ownerId: string): string => `x-${Buffer.from(ownerId, 'utf8').toString('hex')}`;

/**
 * The owner's outbox folder name, one per owner id (injective): the id itself when it is a safe
 * file name not starting with `x-`, else `x-` and the hex of its UTF-8 bytes.
 */
export function ownerDirName(ownerId: string): string {
  return SAFE_OWNER.test(ownerId) && !RESERVED.test(ownerId) ? ownerId : hexName(ownerId);
}

/**
 * The folder an older version wrote this owner's digests to, when it differs from ownerDirName:
 * plain ids starting with `x-` were their own folder name. That folder may also hold another
 * owner's digests (the collision above), so whoever reads it keeps only files whose .json names
 * this owner (inbox.ts does).
 */
export function legacyOwnerDirName(ownerId: string): string | undefined {
  const old = SAFE_OWNER.test(ownerId) ? ownerId : hexName(ownerId);
  return old === ownerDirName(ownerId) ? undefined : old;
}

/** File stem of a digest in the outbox: window (sortable) and delivery id. */
export function outboxStem(d: Pick<Digest, 'windowAt' | 'deliveryId'>): string {
  const w = d.windowAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${w}-${d.deliveryId}`;
}

const emlIn = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.eml')) : []);

/**
 * .eml files in an owner's outbox folder and, for an id whose folder changed, in the older folder
 * (a digest in both counts once, the current folder's), newest first. Files from the older folder
 * may be another owner's: check the .json's owner_id before showing one.
 */
export function outboxFiles(outboxDir: string, ownerId: string): string[] {
  const byName = new Map<string, string>();
  const legacy = legacyOwnerDirName(ownerId);
  for (const name of [...(legacy ? [legacy] : []), ownerDirName(ownerId)]) {
    const dir = join(outboxDir, name);
    for (const f of emlIn(dir)) byName.set(f, join(dir, f));
  }
  // Plain code-unit order, as before: the stem starts with the window (yyyymmddThhmmssZ).
  return [...byName.values()].sort((a, b) => (basename(a) < basename(b) ? 1 : basename(a) > basename(b) ? -1 : 0));
}
