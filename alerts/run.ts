/**
 * One alert run: read the newest scores (re-scoring first when they are stale), close episodes of
 * customers who fell below the threshold, plan one digest per owner for the customers who start a
 * new episode, write it to the ledger as pending, then deliver every pending or failed digest
 * (this run's and earlier ones') with retries, recording each outcome as soon as it is known.
 * The guarantee this gives, and its limits, are in alerts/README.md.
 */
import { randomUUID } from 'node:crypto';
import type { Warehouse } from '../lib/warehouse/index.ts';
import { describeAsOf, warehouseAsOf } from '../lib/as-of.ts';
import { DEFAULT_CHURN_DEFINITION, latestModelCard, modelCardHeadline, modelCardValidated, trainAndScore } from '../models/index.ts';
import { loadCandidates, loadLapsedCounts, loadOwnerContacts, scoreFreshness, scoresAsOf, type Candidate, type OwnerContact } from './candidates.ts';
import { systemClock, type Clock } from './clock.ts';
import { activeChannels, loadAlertsConfig, redactUrl, type AlertsConfig, type Channel } from './config.ts';
import { digestFromRows, type Digest } from './digest.ts';
import { loadDealsAtRisk, type DealAtRisk } from './deals-at-risk.ts';
import { AlertsError } from './errors.ts';
import { closeReason, dealsDigestDue, dealsEpisodeId, decideTrigger, deliveryId as deliveryIdOf, episodeId, messageIdFor, ownerIncluded, valueAtRisk } from './episodes.ts';
import {
  DEALS_TRIGGER,
  nextVersion,
  ownersPlannedIn,
  readLatestDealsDigests,
  readLatestEpisodes,
  readLedger,
  writeClosures,
  writeLedger,
  writeRun,
  type Closure,
  type LatestEpisode,
  type LedgerRow,
  type Trigger,
} from './ledger.ts';
import { acquireRunLock } from './lock.ts';
import { channelSenders, closeSenders } from './deliver/channels.ts';
import type { RenderContext } from './deliver/mail.ts';
import { withRetry, type RetryOptions } from './deliver/retry.ts';
import { nextStepFor } from './next-step.ts';
import { readRules, type AlertRules } from './rules.ts';
import { lastFire, lastFireOnDay } from './schedule.ts';

/** Re-trains and re-scores churn and CLV (default: trainAndScore, which loads the models only when called). */
export type ScoreFn = (warehouse: Warehouse, opts: { today?: string; dataDir: string; onProgress: (line: string) => void }) => Promise<unknown>;

export const defaultScore: ScoreFn = (warehouse, opts) => trainAndScore(warehouse, opts);

export interface RunAlertsOptions {
  warehouse: Warehouse;
  dataDir: string;
  /** Delivery settings (default: from the environment, loadAlertsConfig). */
  config?: AlertsConfig;
  /** Rules (default: the rules file in dataDir, created with the defaults when missing). */
  rules?: AlertRules;
  clock?: Clock;
  log?: (line: string) => void;
  /** Plan and print only: no sending, no outbox files, no ledger or closure writes, no re-scoring. */
  dryRun?: boolean;
  /** Only this owner (customers.owner_id): their new digest and their undelivered ones. */
  ownerId?: string;
  /** YYYY-MM-DD: run as the scheduled run of that day (its last fire time in the schedule's zone); also the data day. */
  today?: string;
  /**
   * CRM_AS_OF, when set. Without `today`, the run's data day (scoring day, the 12-month revenue
   * window) is the product's as-of date (lib/as-of.ts), so data that ends in the past is alerted on
   * as of its end; the window the digest stands for stays the real scheduled instant.
   */
  configuredAsOf?: string;
  /** The scheduled instant this run stands for (the worker passes the fire time). Default: the last fire time ≤ now. */
  at?: Date;
  trigger?: 'schedule' | 'manual' | 'cli';
  /** Re-score first when the newest scores are older than rules.rescore.maxScoreAgeHours (default true). */
  rescore?: boolean;
  score?: ScoreFn;
  retry?: RetryOptions;
  smtpTimeouts?: { connectionMs?: number; socketMs?: number };
  webhookTimeoutMs?: number;
}

export interface DeliveryReport {
  ownerId: string;
  deliveryId: string;
  messageId: string;
  channel: Channel;
  recipient: string;
  window: string;
  customers: { customerId: string; name: string; probability: number; valueAtRisk: number; trigger: Trigger }[];
  more: number;
  /** The owner's open deals at risk the digest lists (read at delivery). */
  deals: number;
  /** would-send: dry run. */
  outcome: 'sent' | 'failed' | 'would-send';
  /** True when the digest was planned by an earlier run (a retry). */
  retry: boolean;
  attempts: number;
  error?: string;
  /** Outbox: the .eml file. */
  path?: string;
}

export interface RunResult {
  runId: string;
  window: string;
  windowAt: Date;
  dryRun: boolean;
  ownerFilter?: string;
  /** The data day the run scored and read for (YYYY-MM-DD): `today`, else the product's as-of date (lib/as-of.ts). */
  dataDay: string;
  scores: { churnScoredAt: Date | null; clvScoredAt: Date | null; stale: boolean; rescored: boolean };
  candidates: number;
  /**
   * The included owners' lapsed customers (stored at scoring: no purchase in the model's active
   * window before the as-of date), never alerted; the churn page's lapsed count for those owners.
   */
  lapsed: number;
  /** The window and as-of date the scores' lapsed state was set with. */
  lapsedRule: { activeWindowDays: number; asOf: string } | null;
  closedEpisodes: number;
  newEpisodes: number;
  deliveries: DeliveryReport[];
  warnings: string[];
}

const HOUR_MS = 3_600_000;
const key = (owner: string, customer: string): string => `${owner}\u0000${customer}`;

/** The instant a run stands for: explicit, the day's scheduled run, or the last scheduled run before now. */
export function resolveWindow(rules: AlertRules, now: Date, opts: { at?: Date; today?: string }): Date {
  if (opts.at) return opts.at;
  if (opts.today) {
    const w = lastFireOnDay(rules.schedule, opts.today);
    if (!w) throw new AlertsError('CONFIG_INVALID', `the schedule "${rules.schedule.cron}" (${rules.schedule.timezone}) has no run on ${opts.today}`);
    return w;
  }
  return lastFire(rules.schedule, now) ?? now;
}

interface Plan {
  closures: Closure[];
  rows: LedgerRow[];
  newEpisodes: number;
}

/** Pure planning step: closures and the new digests' ledger rows. */
export function planRun(input: {
  candidates: Candidate[];
  latest: Map<string, LatestEpisode>;
  rules: AlertRules;
  windowAt: Date;
  now: Date;
  channels: Channel[];
  from: string;
  contacts: Map<string, OwnerContact>;
  ownerFilter?: string;
  /** Owners who already got a digest planned in this window: nothing new for them until the next one. */
  alreadyPlanned?: Set<string>;
  /**
   * Each owner's open deals at risk now (deals-at-risk.ts). An included owner with some and no new
   * churn episode in this window still gets a digest: one planned through a single non-episode
   * ledger row (DEALS_TRIGGER), so it goes out exactly like a churn digest — once per window,
   * retried until delivered.
   */
  deals?: ReadonlyMap<string, readonly DealAtRisk[]>;
  /** Each owner's newest deals-only digest (ledger.ts readLatestDealsDigests): unchanged deals are not sent again before the cooldown. */
  latestDeals?: ReadonlyMap<string, { run_window_at: Date; dealIds: readonly string[] }>;
}): Plan {
  const { rules, windowAt } = input;
  const window = windowAt.toISOString();
  const closures: Closure[] = [];
  const byOwner = new Map<string, { c: Candidate; trigger: Trigger; value: ReturnType<typeof valueAtRisk>; prev?: LatestEpisode }[]>();
  for (const c of input.candidates) {
    if (input.ownerFilter !== undefined && c.owner_id !== input.ownerFilter) continue;
    const prev = input.latest.get(key(c.owner_id, c.customer_id));
    const reason = closeReason(c, prev, rules, windowAt);
    if (reason) {
      closures.push({ owner_id: c.owner_id, customer_id: c.customer_id, episode_id: prev!.episode_id, probability: c.probability, run_window: window, closed_at: input.now, reason });
      continue;
    }
    if (!ownerIncluded(c.owner_id, rules)) continue;
    // Lapsed customers are outside the population the model was trained on: never alerted (the run
    // counts them from the stored state, loadLapsedCounts).
    if (c.lapsed) continue;
    if (input.alreadyPlanned?.has(c.owner_id)) continue;
    const value = valueAtRisk(c);
    if (value.value < rules.minValueAtRisk) continue;
    const trigger = decideTrigger(c.probability, prev, rules, windowAt);
    if (!trigger) continue;
    const list = byOwner.get(c.owner_id) ?? [];
    list.push({ c, trigger, value, prev });
    byOwner.set(c.owner_id, list);
  }
  const rows: LedgerRow[] = [];
  let newEpisodes = 0;
  for (const [ownerId, list] of [...byOwner].sort(([a], [b]) => a.localeCompare(b))) {
    list.sort((a, b) => b.value.value - a.value.value || b.c.probability - a.c.probability || a.c.customer_id.localeCompare(b.c.customer_id));
    const listed = list.slice(0, rules.maxCustomersPerDigest);
    const more = list.length - listed.length;
    const episodes = listed.map((x) => episodeId(ownerId, x.c.customer_id, window));
    const digest = digestOf(ownerId, episodes, input);
    newEpisodes += listed.length;
    for (const channel of input.channels) {
      listed.forEach((x, i) =>
        rows.push(
          pendingRow(digest, channel, {
            customer_id: x.c.customer_id,
            episode_id: episodes[i],
            customer_name: x.c.customer_name,
            probability: x.c.probability,
            previous_probability: x.prev ? x.prev.probability : null,
            value_at_risk: x.value.value,
            value_basis: x.value.basis,
            reasons: x.c.reasons.slice(0, 3),
            next_step: nextStepFor(x.c.reasons[0]?.feature),
            trigger: x.trigger,
            more_at_risk: more,
          }),
        ),
      );
    }
  }
  for (const [ownerId, deals] of [...(input.deals ?? [])].sort(([a], [b]) => a.localeCompare(b))) {
    if (!deals.length || byOwner.has(ownerId) || !ownerIncluded(ownerId, rules) || input.alreadyPlanned?.has(ownerId)) continue;
    if (input.ownerFilter !== undefined && ownerId !== input.ownerFilter) continue;
    if (!dealsDigestDue(deals.map((d) => d.opportunityId), input.latestDeals?.get(ownerId), rules, windowAt)) continue;
    const episode = dealsEpisodeId(ownerId, window);
    const digest = digestOf(ownerId, [episode], input);
    for (const channel of input.channels)
      rows.push(
        pendingRow(digest, channel, {
          customer_id: '',
          episode_id: episode,
          customer_name: '',
          probability: 0,
          previous_probability: null,
          // Not a customer's value: 0, so sums of value_at_risk over the ledger stay the churn alerts'.
          value_at_risk: 0,
          value_basis: 'clv_12m',
          // Which deals made the digest, for the record (the digest itself shows the deals as they stand when it is delivered).
          reasons: deals.map((d) => ({ feature: d.opportunityId, text: d.dealName || d.opportunityId, contribution: d.valueAtRisk })),
          next_step: '',
          trigger: DEALS_TRIGGER,
          more_at_risk: 0,
        }),
      );
  }
  return { closures, rows, newEpisodes };
}

/** What every ledger row of one digest shares, whichever kind of row (a customer, or the deals-only row) it is. */
interface PlannedDigest {
  ownerId: string;
  window: string;
  windowAt: Date;
  deliveryId: string;
  messageId: string;
  /** The owner's address for the e-mail and outbox rows. */
  email: string;
  plannedAt: Date;
  version: number;
}

/** The delivery (id, Message-ID, recipient, version) of one owner's digest of `episodes` in this window. */
function digestOf(ownerId: string, episodes: string[], input: { windowAt: Date; now: Date; from: string; contacts: Map<string, OwnerContact> }): PlannedDigest {
  const window = input.windowAt.toISOString();
  const deliveryId = deliveryIdOf(ownerId, window, episodes);
  return {
    ownerId,
    window,
    windowAt: input.windowAt,
    deliveryId,
    messageId: messageIdFor(deliveryId, input.from),
    email: input.contacts.get(ownerId)?.email ?? '',
    plannedAt: input.now,
    version: nextVersion(),
  };
}

/** What a row says about its customer (or, for the deals-only digest, about its deals). */
type RowContent = Pick<
  LedgerRow,
  'customer_id' | 'episode_id' | 'customer_name' | 'probability' | 'previous_probability' | 'value_at_risk' | 'value_basis' | 'reasons' | 'next_step' | 'trigger' | 'more_at_risk'
>;

/** One pending ledger row of a digest on one channel: the one builder for churn and deals-only rows. */
export function pendingRow(d: PlannedDigest, channel: Channel, content: RowContent): LedgerRow {
  return {
    owner_id: d.ownerId,
    ...content,
    channel,
    delivery_id: d.deliveryId,
    message_id: d.messageId,
    run_window: d.window,
    run_window_at: d.windowAt,
    status: 'pending',
    attempts: 0,
    last_error: '',
    // The webhook has no addressee; e-mail and outbox rows carry the owner's address.
    recipient: channel === 'webhook' ? '' : d.email,
    planned_at: d.plannedAt,
    sent_at: null,
    version: d.version,
  };
}

/** Rows grouped per (delivery, channel), older digests first. */
function groupDeliveries(rows: LedgerRow[]): LedgerRow[][] {
  const groups = new Map<string, LedgerRow[]>();
  for (const r of rows) {
    const k = `${r.delivery_id}\u0000${r.channel}`;
    const g = groups.get(k) ?? [];
    g.push(r);
    groups.set(k, g);
  }
  return [...groups.values()].sort(
    (a, b) => a[0].run_window_at.getTime() - b[0].run_window_at.getTime() || a[0].owner_id.localeCompare(b[0].owner_id) || a[0].channel.localeCompare(b[0].channel),
  );
}

export async function runAlerts(opts: RunAlertsOptions): Promise<RunResult> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? (() => {});
  const dryRun = !!opts.dryRun;
  const config = opts.config ?? loadAlertsConfig(opts.dataDir);
  const rules = opts.rules ?? readRules(opts.dataDir);
  const { warehouse } = opts;
  const startedAt = clock.now();
  const windowAt = resolveWindow(rules, startedAt, opts);
  const window = windowAt.toISOString();
  const runId = randomUUID();
  const warnings: string[] = [];
  const warn = (w: string): void => {
    warnings.push(w);
    log(`warning: ${w}`);
  };
  const release = dryRun ? () => {} : acquireRunLock(opts.dataDir);
  const result: RunResult = {
    runId,
    window,
    windowAt,
    dryRun,
    ownerFilter: opts.ownerId,
    dataDay: '',
    scores: { churnScoredAt: null, clvScoredAt: null, stale: false, rescored: false },
    candidates: 0,
    lapsed: 0,
    lapsedRule: null,
    closedEpisodes: 0,
    newEpisodes: 0,
    deliveries: [],
    warnings,
  };
  const senders = channelSenders(config, { smtpTimeouts: opts.smtpTimeouts, webhookTimeoutMs: opts.webhookTimeoutMs });
  let failure = '';
  try {
    log(`${dryRun ? 'dry run' : 'run'} for the window ${window}${opts.ownerId ? `, owner ${opts.ownerId}` : ''}`);
    let day = opts.today;
    if (day === undefined) {
      const asOf = await warehouseAsOf(warehouse.client, warehouse.database, { configured: opts.configuredAsOf, now: startedAt });
      day = asOf.date;
      if (asOf.reason !== 'today') log(`data ${describeAsOf(asOf, asOf.lastFactDate)}`);
    }
    result.dataDay = day;

    // 1. Scores: the newest, refreshed first when older than the configured age.
    let fresh = await scoreFreshness(warehouse);
    const maxAgeMs = rules.rescore.maxScoreAgeHours === null ? Infinity : rules.rescore.maxScoreAgeHours * HOUR_MS;
    const age = (d: Date | null): number => (d ? startedAt.getTime() - d.getTime() : Infinity);
    result.scores.stale = age(fresh.churn) > maxAgeMs || age(fresh.clv) > maxAgeMs;
    if (result.scores.stale && opts.rescore !== false) {
      const what = fresh.churn ? `the newest churn scores are from ${fresh.churn.toISOString()}` : 'there are no churn scores';
      if (dryRun) warn(`${what}; a real run would re-score first`);
      else {
        log(`${what}: re-scoring first`);
        try {
          await (opts.score ?? defaultScore)(warehouse, { today: day, dataDir: opts.dataDir, onProgress: (l) => log(`  ${l}`) });
          result.scores.rescored = true;
          fresh = await scoreFreshness(warehouse);
        } catch (err) {
          warn(`re-scoring failed, using the scores there are: ${(err as Error).message}`);
        }
      }
    }
    result.scores.churnScoredAt = fresh.churn;
    result.scores.clvScoredAt = fresh.clv;

    // 2. Plan: candidates, the newest episode per (owner, customer), closures and new digests.
    let owners: string[] | null = rules.owners === 'all' ? null : rules.owners;
    if (opts.ownerId !== undefined) {
      if (!ownerIncluded(opts.ownerId, rules)) warn(`owner ${opts.ownerId} is not among the owners the rules include: only their undelivered digests are retried`);
      owners = [opts.ownerId];
    }
    // The card of the model behind the scores, for the active window and the digests' model line
    // (optional: none before the first selection; cards before session 8 do not store the window).
    const card = await latestModelCard(warehouse).catch(() => undefined);
    const activeWindowDays = card?.activeWindowDays ?? DEFAULT_CHURN_DEFINITION.activeWindowDays;
    if (card && card.activeWindowDays === undefined) log(`the model card does not store its active window: scoring used the default ${activeWindowDays} days for lapsed customers`);
    const asOf = (await scoresAsOf(warehouse).catch(() => undefined)) ?? day;
    result.lapsedRule = { activeWindowDays, asOf };
    const candidates = await loadCandidates(warehouse, { threshold: rules.probabilityThreshold, owners, day });
    const lapsedByOwner = await loadLapsedCounts(warehouse, owners);
    result.candidates = candidates.filter((c) => c.probability >= rules.probabilityThreshold && !c.lapsed).length;
    const latest = new Map((await readLatestEpisodes(warehouse, opts.ownerId)).map((e) => [key(e.owner_id, e.customer_id), e]));
    const undelivered = await readLedger(warehouse, { status: ['pending', 'failed'], ownerId: opts.ownerId });
    // Each owner's open deals at risk (issue 18), read before planning: an owner with deals at risk
    // and no new churn alert gets a digest for the deals. Optional like the model card: without a
    // win/loss run (or on failure) digests carry the churn part only.
    const noDeals = (err: unknown): Map<string, DealAtRisk[]> => {
      warn(`open deals at risk not read: ${(err as Error).message}`);
      return new Map();
    };
    const deals = await loadDealsAtRisk(warehouse, owners).catch(noDeals);
    const planOwners = [...new Set([...candidates.map((c) => c.owner_id), ...undelivered.map((r) => r.owner_id), ...deals.keys()])];
    const contacts = await loadOwnerContacts(warehouse, planOwners);
    const alreadyPlanned = await ownersPlannedIn(warehouse, window);
    const plan = planRun({
      candidates,
      latest,
      rules,
      windowAt,
      now: startedAt,
      channels: activeChannels(config),
      from: config.from,
      contacts,
      ownerFilter: opts.ownerId,
      alreadyPlanned,
      deals,
      latestDeals: deals.size ? await readLatestDealsDigests(warehouse, opts.ownerId) : undefined,
    });
    result.closedEpisodes = plan.closures.length;
    result.newEpisodes = plan.newEpisodes;
    result.lapsed = [...lapsedByOwner.values()].reduce((a, b) => a + b, 0);
    // Only customers with an owner can be alerted: on data without owners (CDNOW) "0 customers at or above
    // 0.6" read as "nobody at risk" beside a churn page of 2,181 high-risk customers.
    log(`${result.candidates} customers with an owner at or above ${rules.probabilityThreshold}; ${result.lapsed} lapsed, not alerted (no purchase in the ${activeWindowDays} days before ${asOf}); ${plan.newEpisodes} new episodes; ${plan.closures.length} episodes closed (${plan.closures.filter((x) => x.reason === 'lapsed').length} because the customer lapsed); ${groupDeliveries(undelivered).length} undelivered from earlier runs`);
    if (!dryRun) {
      await writeClosures(warehouse, plan.closures);
      // Pending rows first: from here on a digest can be retried but never planned a second time.
      await writeLedger(warehouse, plan.rows);
    }

    // 3. Deliver: earlier runs' undelivered digests first, then this run's.
    const retried = new Set(undelivered.map((r) => r.delivery_id));
    const down = new Set<Channel>();
    const deliveries = groupDeliveries([...undelivered, ...plan.rows]);
    // Owners of earlier undelivered digests whom the rules no longer list: their deals too.
    const listedOwners = owners;
    if (listedOwners !== null) {
      const missing = [...new Set(deliveries.map((g) => g[0].owner_id))].filter((o) => !listedOwners.includes(o));
      for (const [o, list] of await loadDealsAtRisk(warehouse, missing).catch(noDeals)) deals.set(o, list);
    }
    for (const group of deliveries) {
      const first = group[0];
      const channel = first.channel;
      const digest: Digest = digestFromRows(group, config.publicUrl, config.format);
      if (channel !== 'webhook' && !digest.recipient) digest.recipient = contacts.get(first.owner_id)?.email ?? '';
      if (card) digest.model = { headline: modelCardHeadline(card), modelVersion: card.modelVersion, validated: modelCardValidated(card) };
      digest.deals = deals.get(first.owner_id);
      // Measured in this run, like the deals: a retried digest says how many are lapsed now.
      const lapsed = lapsedByOwner.get(first.owner_id) ?? 0;
      if (lapsed > 0) digest.lapsed = { count: lapsed, activeWindowDays, asOf };
      digest.scores = { asOf, horizonDays: card?.horizonDays };
      const ctx: RenderContext = { timezone: rules.schedule.timezone, ownerName: contacts.get(first.owner_id)?.name };
      const report: DeliveryReport = {
        ownerId: first.owner_id,
        deliveryId: first.delivery_id,
        messageId: first.message_id,
        channel,
        recipient: channel === 'webhook' ? (config.webhookUrl ? redactUrl(config.webhookUrl) : '') : digest.recipient,
        window: first.run_window,
        customers: digest.items.map((i) => ({ customerId: i.customerId, name: i.customerName, probability: i.probability, valueAtRisk: i.valueAtRisk, trigger: i.trigger })),
        more: digest.more,
        deals: digest.deals?.length ?? 0,
        outcome: 'would-send',
        retry: retried.has(first.delivery_id),
        attempts: 0,
      };
      result.deliveries.push(report);
      if (dryRun) continue;

      const sender = senders[channel];
      const send = async (): Promise<void> => {
        const sent = await sender.send(digest, ctx);
        if (sent?.path) report.path = sent.path;
        if (sent?.note) log(sent.note);
      };
      // Once a channel has failed all its attempts in this run, the rest get one attempt each.
      const outcome = await withRetry(send, down.has(channel) ? { ...opts.retry, attempts: 1 } : opts.retry);
      if (!outcome.ok) down.add(channel);
      report.outcome = outcome.ok ? 'sent' : 'failed';
      report.attempts = outcome.attempts;
      if (outcome.error) report.error = outcome.error;
      const sentAt = clock.now();
      const version = nextVersion();
      await writeLedger(
        warehouse,
        group.map((r) => ({
          ...r,
          status: outcome.ok ? 'sent' : 'failed',
          attempts: r.attempts + outcome.attempts,
          last_error: outcome.ok ? '' : (outcome.error ?? 'failed'),
          recipient: channel === 'webhook' ? r.recipient : digest.recipient,
          sent_at: outcome.ok ? sentAt : null,
          version,
        })),
      );
      log(
        `${report.outcome === 'sent' ? 'sent' : 'FAILED'} ${channel} digest ${digest.deliveryId} to ${first.owner_id}${report.recipient ? ` (${report.recipient})` : ''}: ` +
          `${digest.items.length} customers${report.retry ? ', retry of an earlier run' : ''}${outcome.error ? ` - ${outcome.error}` : ''}`,
      );
    }
    return result;
  } catch (err) {
    failure = (err as Error).message;
    throw err;
  } finally {
    closeSenders(senders);
    if (!dryRun) {
      try {
        await writeRun(warehouse, {
          run_id: runId,
          run_window: window,
          run_window_at: windowAt,
          trigger: opts.trigger ?? 'manual',
          owner_filter: opts.ownerId ?? '',
          started_at: startedAt,
          finished_at: clock.now(),
          scores_scored_at: result.scores.churnScoredAt,
          rescored: result.scores.rescored,
          candidates: result.candidates,
          new_episodes: result.newEpisodes,
          closed_episodes: result.closedEpisodes,
          deliveries_sent: result.deliveries.filter((d) => d.outcome === 'sent').length,
          deliveries_failed: result.deliveries.filter((d) => d.outcome === 'failed').length,
          error: failure,
        });
      } catch (err) {
        log(`could not record the run: ${(err as Error).message}`);
      }
      release();
    }
  }
}

