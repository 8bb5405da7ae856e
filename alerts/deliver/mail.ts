/**
 * E-mail digests with nodemailer: over SMTP (SMTP_URL), or built as MIME by nodemailer's buffering
 * stream transport and written to the outbox. Both carry the digest's stable Message-ID.
 */
import { chmodSync, existsSync, renameSync, writeFileSync } from 'node:fs';
import { privateDir } from '../../lib/config.ts';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import type { AlertsConfig } from '../config.ts';
import { digestData, renderHtml, renderSubject, renderText, type Digest } from '../digest.ts';
import { ownerDirName, outboxStem } from './outbox-files.ts';
import { PermanentDeliveryError } from './retry.ts';

export interface RenderContext {
  /** Time zone the run times are shown in (the schedule's). */
  timezone: string;
  /** Owner's display name for the greeting, when known. */
  ownerName?: string;
}

export function mailOptions(d: Digest, config: Pick<AlertsConfig, 'from'>, ctx: RenderContext): Mail.Options {
  return {
    from: config.from,
    ...(d.recipient ? { to: d.recipient } : {}),
    subject: renderSubject(d, ctx.timezone),
    text: renderText(d, ctx.timezone, ctx.ownerName),
    html: renderHtml(d, ctx.timezone, ctx.ownerName),
    messageId: d.messageId,
    headers: { 'X-CRM-Delivery-Id': d.deliveryId, 'X-CRM-Owner-Id': d.ownerId, 'X-CRM-Run-Window': d.window },
  };
}

export interface SmtpSender {
  send(d: Digest, ctx: RenderContext): Promise<void>;
  close(): void;
}

/** One SMTP connection setup per run (nodemailer connects per message without pooling). */
export function smtpSender(config: Pick<AlertsConfig, 'smtpUrl' | 'from'>, timeouts: { connectionMs?: number; socketMs?: number } = {}): SmtpSender {
  if (!config.smtpUrl) throw new Error('SMTP_URL is not set');
  const transport = nodemailer.createTransport(config.smtpUrl, {
    connectionTimeout: timeouts.connectionMs ?? 15_000,
    greetingTimeout: timeouts.connectionMs ?? 15_000,
    socketTimeout: timeouts.socketMs ?? 60_000,
  } as Parameters<typeof nodemailer.createTransport>[1]);
  return {
    async send(d, ctx) {
      if (!d.recipient) throw new PermanentDeliveryError(`no e-mail address for owner ${d.ownerId} (users.email of an active user with that owner_id)`);
      await transport.sendMail(mailOptions(d, config, ctx));
    },
    close: () => transport.close(),
  };
}

/** The digest as a complete MIME message (what an SMTP server would receive). */
export async function buildMime(d: Digest, config: Pick<AlertsConfig, 'from'>, ctx: RenderContext): Promise<Buffer> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const info = await transport.sendMail(mailOptions(d, config, ctx));
  return info.message as Buffer;
}

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
  privateDir(dir);
  const mime = await buildMime(d, config, ctx);
  writeFileAtomically(join(dir, `${stem}.json`), `${JSON.stringify({ ...digestData(d, ctx.timezone), written_at: new Date().toISOString() }, null, 2)}\n`);
  writeFileAtomically(eml, mime);
  return { path: eml, written: true };
}
