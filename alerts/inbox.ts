/**
 * Reading what the alerts sent, for the dashboard's alerts inbox and admin pages:
 * - listInbox(dataDir, owner): the owner's digests in the outbox (the embedded default, no SMTP);
 * - listInbox(warehouse, owner): the owner's digests from the ledger, whatever the channel, with
 *   each channel's delivery status (pending, sent, failed and the last error);
 * - readInboxMessage(dataDir, owner, deliveryId): one outbox digest with its raw .eml;
 * - listDeliveries / readRuns (ledger.ts): ledger rows and run history for an admin view.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Warehouse } from '../lib/warehouse/index.ts';
import { publicUrlFrom, type Channel } from './config.ts';
import { digestData, digestFromRows, type DigestData } from './digest.ts';
import { ownerDirName, outboxFiles } from './deliver/outbox-files.ts';
import { readLedger, type DeliveryStatus, type LedgerRow } from './ledger.ts';

export interface ChannelStatus {
  channel: Channel;
  status: DeliveryStatus;
  attempts: number;
  lastError: string;
  sentAt: string | null;
}

export interface InboxMessage extends DigestData {
  /** Outbox source: the .eml file (MIME, as an SMTP server would have received it). */
  emlPath?: string;
  /** Ledger source: delivery status per channel. */
  channels?: ChannelStatus[];
}

export interface InboxOptions {
  /** Newest first, at most this many digests (default 50). */
  limit?: number;
  /** Ledger source: base of the customer links (default CRM_PUBLIC_URL, …). */
  publicUrl?: string;
  /** Time zone for the subject's date (default UTC). */
  timezone?: string;
}

function readJson(path: string): DigestData | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DigestData;
  } catch {
    return null;
  }
}

/** An owner's digests, newest first: from the outbox folder (a data dir) or from the ledger (a warehouse). */
export async function listInbox(source: string | Warehouse, ownerId: string, opts: InboxOptions = {}): Promise<InboxMessage[]> {
  const limit = opts.limit ?? 50;
  if (typeof source === 'string') {
    const out: InboxMessage[] = [];
    for (const eml of outboxFiles(join(source, 'outbox'), ownerId)) {
      if (out.length >= limit) break;
      const data = readJson(eml.replace(/\.eml$/, '.json'));
      if (data && data.owner_id === ownerId) out.push({ ...data, emlPath: eml });
    }
    return out;
  }
  const rows = await readLedger(source, { ownerId, limitDeliveries: limit });
  const byDelivery = new Map<string, LedgerRow[]>();
  for (const r of rows) {
    const list = byDelivery.get(r.delivery_id) ?? [];
    list.push(r);
    byDelivery.set(r.delivery_id, list);
  }
  const publicUrl = opts.publicUrl ?? publicUrlFrom();
  return [...byDelivery.values()]
    .map((list) => {
      const firstChannel = list[0].channel;
      const digest = digestFromRows(list.filter((r) => r.channel === firstChannel), publicUrl);
      const channels = [...new Set(list.map((r) => r.channel))].sort().map((channel): ChannelStatus => {
        const r = list.find((x) => x.channel === channel)!;
        return { channel, status: r.status, attempts: r.attempts, lastError: r.last_error, sentAt: r.sent_at ? r.sent_at.toISOString() : null };
      });
      return { ...digestData(digest, opts.timezone), channels };
    })
    .sort((a, b) => b.run_window.localeCompare(a.run_window) || a.delivery_id.localeCompare(b.delivery_id));
}

/** One outbox digest with its raw MIME text, or null when it is not in the owner's outbox. */
export function readInboxMessage(dataDir: string, ownerId: string, deliveryId: string): { data: DigestData; eml: string; emlPath: string } | null {
  if (!/^dg-[0-9a-f]+$/.test(deliveryId)) return null;
  for (const eml of outboxFiles(join(dataDir, 'outbox'), ownerId)) {
    if (!eml.endsWith(`-${deliveryId}.eml`)) continue;
    const data = readJson(eml.replace(/\.eml$/, '.json'));
    // An older folder name may hold another owner's digests (outbox-files.ts): the .json says whose.
    if (!data || data.owner_id !== ownerId || !existsSync(eml)) return null;
    return { data, eml: readFileSync(eml, 'utf8'), emlPath: eml };
  }
  return null;
}

/** Ledger rows for an admin view: e.g. every failed delivery, or one owner's history. */
export { readLedger as listDeliveries, readRuns } from './ledger.ts';
export { ownerDirName };
