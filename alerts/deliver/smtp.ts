/**
 * The e-mail channel: digests sent over SMTP (SMTP_URL) with nodemailer.
 */
import nodemailer from 'nodemailer';
import type { AlertsConfig } from '../config.ts';
import type { Digest } from '../digest.ts';
import { mailOptions, type RenderContext } from './mail.ts';
import { PermanentDeliveryError } from './retry.ts';
import type { Sender } from './sender.ts';

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

/**
 * The `email` channel's sender. The SMTP transport is set up at the first digest (once per run);
 * a digest planned for e-mail while SMTP_URL is unset fails (and is retried by later runs).
 */
export function emailSender(config: Pick<AlertsConfig, 'smtpUrl' | 'from'>, timeouts?: { connectionMs?: number; socketMs?: number }): Sender {
  let smtp: SmtpSender | undefined;
  return {
    async send(d, ctx) {
      if (!config.smtpUrl) throw new Error('SMTP_URL is not set (this digest was planned for e-mail)');
      smtp ??= smtpSender(config, timeouts);
      await smtp.send(d, ctx);
    },
    close: () => smtp?.close(),
  };
}
