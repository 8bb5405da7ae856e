/**
 * The outbox channel (no SMTP_URL, the embedded default): each digest is written as an .eml file
 * (plus its data as .json) to `<outbox>/<owner>/`, which the owner's alerts inbox reads.
 */
import { chmodSync, existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateDir } from '../../lib/config.ts';
import type { AlertsConfig } from '../config.ts';
import { digestData, type Digest } from '../digest.ts';
import { buildMime, type RenderContext } from './mail.ts';
import { legacyOwnerDirName, ownerDirName, outboxStem } from './outbox-files.ts';
import type { Sender } from './sender.ts';

export interface OutboxWrite {
  path: string;
  /** False when the digest was already in the outbox (a repeat after a crash): nothing was written. */
  written: boolean;
}

/** Whole or not at all, and private (0600 whatever the umask): a digest names customers and their value. */
function writeFileAtomically(path: string, data: string | Buffer): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/**
 * Writes `<outbox>/<owner>/<stem>.json` (the digest as data, for the inbox) and then `<stem>.eml`
 * (the MIME message); the .eml's presence means "delivered". A digest whose .eml exists is not
 * written again, so in the outbox a repeat is a no-op: exactly once.
 */
export async function writeToOutbox(d: Digest, config: Pick<AlertsConfig, 'from' | 'outboxDir'>, ctx: RenderContext): Promise<OutboxWrite> {
  const dir = join(config.outboxDir, ownerDirName(d.ownerId));
  const stem = outboxStem(d);
  const eml = join(dir, `${stem}.eml`);
  if (existsSync(eml)) return { path: eml, written: false };
  // Delivered before the folder name changed (a retry after an upgrade): the delivery id is the
  // owner's own (episodes.ts hashes the owner id into it), so the file there is this digest.
  const legacy = legacyOwnerDirName(d.ownerId);
  const oldEml = legacy === undefined ? undefined : join(config.outboxDir, legacy, `${stem}.eml`);
  if (oldEml && existsSync(oldEml)) return { path: oldEml, written: false };
  privateDir(dir);
  const mime = await buildMime(d, config, ctx);
  writeFileAtomically(join(dir, `${stem}.json`), `${JSON.stringify({ ...digestData(d, ctx.timezone), written_at: new Date().toISOString() }, null, 2)}\n`);
  writeFileAtomically(eml, mime);
  return { path: eml, written: true };
}

/** The `outbox` channel's sender: a repeat (the .eml is already there) writes nothing and says so. */
export function outboxSender(config: Pick<AlertsConfig, 'from' | 'outboxDir'>): Sender {
  return {
    async send(d, ctx) {
      const w = await writeToOutbox(d, config, ctx);
      return { path: w.path, note: w.written ? undefined : `${d.deliveryId} was already in the outbox (a repeat): not written again` };
    },
  };
}
