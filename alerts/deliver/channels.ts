/**
 * The channels a digest can go out on, each with its sender (smtp.ts: email, outbox.ts: outbox,
 * webhook.ts: webhook). A run dispatches through this record, so a Channel added without its
 * sender does not compile.
 */
import type { AlertsConfig, Channel } from '../config.ts';
import { outboxSender } from './outbox.ts';
import type { Sender } from './sender.ts';
import { emailSender } from './smtp.ts';
import { webhookSender } from './webhook.ts';

export interface SenderOptions {
  smtpTimeouts?: { connectionMs?: number; socketMs?: number };
  webhookTimeoutMs?: number;
}

/** One sender per channel, for one run (they set up connections lazily, at their first digest). */
export function channelSenders(config: AlertsConfig, opts: SenderOptions = {}): Record<Channel, Sender> {
  return {
    email: emailSender(config, opts.smtpTimeouts),
    outbox: outboxSender(config),
    webhook: webhookSender(config, { timeoutMs: opts.webhookTimeoutMs }),
  };
}

export function closeSenders(senders: Record<Channel, Sender>): void {
  for (const s of Object.values(senders)) s.close?.();
}
