/**
 * The digest as an e-mail message (nodemailer options and the MIME it makes), the same for the two
 * channels that carry it: SMTP (smtp.ts) and the outbox (outbox.ts). Both carry the digest's
 * stable Message-ID.
 */
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import type { AlertsConfig } from '../config.ts';
import { renderHtml, renderSubject, renderText, type Digest } from '../digest.ts';

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

/** The digest as a complete MIME message (what an SMTP server would receive). */
export async function buildMime(d: Digest, config: Pick<AlertsConfig, 'from'>, ctx: RenderContext): Promise<Buffer> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const info = await transport.sendMail(mailOptions(d, config, ctx));
  return info.message as Buffer;
}
