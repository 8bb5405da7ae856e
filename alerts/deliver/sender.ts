/**
 * A delivery channel's sender: the contract each channel module (smtp.ts, outbox.ts, webhook.ts)
 * fulfils; channels.ts puts them in one record per run.
 */
import type { Digest } from '../digest.ts';
import type { RenderContext } from './mail.ts';

/** What a delivered digest left behind: the outbox's file, a line for the run's log. */
export interface Sent {
  path?: string;
  note?: string;
}

export interface Sender {
  /** Delivers one digest; throws when it was not delivered (PermanentDeliveryError or a non-retryable WebhookError: no retry in this run). */
  send(d: Digest, ctx: RenderContext): Promise<Sent | void>;
  /** Releases connections at the end of the run. */
  close?(): void;
}
