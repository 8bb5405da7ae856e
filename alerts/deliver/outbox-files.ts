/**
 * Where digests live in the outbox: `<outbox>/<owner>/<window>-<delivery id>.eml` (+ `.json`).
 * File-system only (no nodemailer), so readers such as the inbox stay light.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Digest } from '../digest.ts';

const SAFE_OWNER = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,100}$/;

/** The owner's outbox folder name: the id itself when it is a safe file name, else a hex encoding of it. */
export function ownerDirName(ownerId: string): string {
  return SAFE_OWNER.test(ownerId) ? ownerId : `x-${Buffer.from(ownerId, 'utf8').toString('hex')}`;
}

/** File stem of a digest in the outbox: window (sortable) and delivery id. */
export function outboxStem(d: Pick<Digest, 'windowAt' | 'deliveryId'>): string {
  const w = d.windowAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${w}-${d.deliveryId}`;
}

/** .eml files in an owner's outbox folder, newest first. */
export function outboxFiles(outboxDir: string, ownerId: string): string[] {
  const dir = join(outboxDir, ownerDirName(ownerId));
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .reverse()
    .map((f) => join(dir, f));
}
