/**
 * One digest per owner per run: built from its ledger rows (so a retry next week renders the same
 * customers, numbers and reasons as the first attempt) and rendered as e-mail text, HTML and
 * Slack-compatible JSON. Pure functions; snapshot-free tests check the content.
 */
import { DEFAULT_FORMAT, formatMoney, formatProbability, type FormatContext } from '../lib/format/index.ts';
import { DEALS_TRIGGER, type LedgerRow, type Reason, type Trigger } from './ledger.ts';
import { formatInZone } from './schedule.ts';
import { dealsData, dealsHtml, dealsMrkdwn, dealsText, type DealAtRisk } from './deals-at-risk.ts';

export interface DigestItem {
  customerId: string;
  customerName: string;
  episodeId: string;
  probability: number;
  previousProbability: number | null;
  valueAtRisk: number;
  valueBasis: 'clv_12m' | 'revenue_12m';
  reasons: Reason[];
  nextStep: string;
  trigger: Trigger;
  /** The customer's 360 page. */
  url: string;
}

export interface Digest {
  deliveryId: string;
  messageId: string;
  ownerId: string;
  /** E-mail address (e-mail and outbox rows) or empty. */
  recipient: string;
  window: string;
  windowAt: Date;
  plannedAt: Date;
  /** Highest value at risk first. */
  items: DigestItem[];
  /** Customers who qualified but were over the per-digest limit; they follow in later runs. */
  more: number;
  /** The churn model card's headline (models' modelCardHeadline) when a card exists. */
  model?: {
    headline: string;
    modelVersion: string;
    /** The card's `validated`: false for a rule of thumb shipped because validation could not choose. */
    validated?: boolean;
  };
  /** The owner's open deals at risk, largest value at risk first (issue 18; read at delivery, deals-at-risk.ts). */
  deals?: DealAtRisk[];
  /**
   * The owner's customers stored as lapsed at scoring (no purchase in the model's active window
   * before the scores' as-of date): not at risk, never alerted (the model is not trained on them).
   * The same count as the churn page's lapsed line for this owner.
   */
  lapsed?: { count: number; activeWindowDays: number; asOf: string };
  /** The published scores' as-of day (YYYY-MM-DD) and the churn model's horizon, when known. */
  scores?: { asOf: string; horizonDays?: number };
  /** Locale and base currency of the amounts (lib/format); en-GB and EUR when not given. */
  format?: FormatContext;
}

/** The line that says which model produced the probabilities and how it validated. */
export function modelLine(d: Pick<Digest, 'model'>): string {
  if (!d.model) return '';
  // As the churn page says it: an unvalidated model's probabilities are fitted on its training
  // cutoff, and the digest claimed held-out calibration for them too.
  const calibration = d.model.validated === false ? 'calibrated on its training cutoff, not on held-out periods' : 'calibrated on held-out periods';
  return `Churn model ${d.model.headline}. Probabilities are ${calibration}.`;
}

/** The line that says how many of the owner's customers are lapsed, or '' when none are. */
export function lapsedLine(d: Pick<Digest, 'lapsed'>): string {
  if (!d.lapsed?.count) return '';
  const { count, activeWindowDays, asOf } = d.lapsed;
  return `${customers(count)} with no purchase in the ${activeWindowDays} days before ${asOf} ${count === 1 ? 'is' : 'are'} lapsed, not at risk: never in these alerts (the churn model is trained on active customers only; the churn page lists them for win-back).`;
}

export function customerUrl(publicUrl: string, customerId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/customers/${encodeURIComponent(customerId)}`;
}

/** The digest of one delivery from its rows (rows of any one channel; they carry the same content). */
export function digestFromRows(rows: readonly LedgerRow[], publicUrl: string, format: FormatContext = DEFAULT_FORMAT): Digest {
  if (!rows.length) throw new Error('a digest needs at least one ledger row');
  const first = rows[0];
  const seen = new Set<string>();
  const items: DigestItem[] = [];
  for (const r of rows) {
    // A deals-only digest's row is no customer (its deals are read at delivery).
    if (seen.has(r.episode_id) || r.trigger === DEALS_TRIGGER) continue;
    seen.add(r.episode_id);
    items.push({
      customerId: r.customer_id,
      customerName: r.customer_name,
      episodeId: r.episode_id,
      probability: r.probability,
      previousProbability: r.previous_probability,
      valueAtRisk: r.value_at_risk,
      valueBasis: r.value_basis,
      reasons: r.reasons,
      nextStep: r.next_step,
      trigger: r.trigger,
      url: customerUrl(publicUrl, r.customer_id),
    });
  }
  items.sort((a, b) => b.valueAtRisk - a.valueAtRisk || b.probability - a.probability || a.customerId.localeCompare(b.customerId));
  return {
    deliveryId: first.delivery_id,
    messageId: first.message_id,
    ownerId: first.owner_id,
    recipient: rows.find((r) => r.recipient.includes('@'))?.recipient ?? '',
    window: first.run_window,
    windowAt: first.run_window_at,
    plannedAt: first.planned_at,
    items,
    more: first.more_at_risk,
    format,
  };
}

// The product's one formatting (lib/format): "70.4%", "€58,086" — the same figures as the dashboard.
const pct = (p: number, ctx: FormatContext = DEFAULT_FORMAT): string => formatProbability(p, ctx);
const money = (v: number, ctx: FormatContext = DEFAULT_FORMAT): string => formatMoney(v, {}, ctx);
/**
 * What the value at risk is, after it: "churn probability × 12-month CLV of €58,086" — the one
 * definition (alerts/episodes.ts valueAtRisk, the semantic layer's churn_value_at_risk), with the
 * customer's predicted 12-month CLV by its own name. Ledger rows written before issue 15 on the
 * revenue basis keep their words.
 */
export function valueAtRiskNote(item: Pick<DigestItem, 'valueAtRisk' | 'valueBasis' | 'probability'>, ctx: FormatContext = DEFAULT_FORMAT): string {
  if (item.valueBasis === 'revenue_12m') return 'revenue in the last 12 months';
  return item.probability > 0 ? `churn probability × 12-month CLV of ${money(item.valueAtRisk / item.probability, ctx)}` : 'churn probability × 12-month CLV';
}
const customers = (n: number): string => `${n} customer${n === 1 ? '' : 's'}`;

export function triggerNote(item: Pick<DigestItem, 'trigger' | 'previousProbability'>, ctx: FormatContext = DEFAULT_FORMAT): string {
  switch (item.trigger) {
    case 'rise':
      return item.previousProbability !== null ? `risk up from ${pct(item.previousProbability, ctx)} at the last alert` : 'risk up since the last alert';
    case 'reopened':
      return 'at risk again';
    case 'cooldown':
      return 'still at risk since the last alert';
    default:
      return 'new';
  }
}

const deals = (n: number): string => `${n} open deal${n === 1 ? '' : 's'}`;

/** A digest without churn alerts is the owner's deals-only digest (run.ts planRun). */
export function renderSubject(d: Pick<Digest, 'items' | 'windowAt' | 'deals'>, timezone = 'UTC'): string {
  const day = formatInZone(d.windowAt, timezone).slice(0, 10);
  if (!d.items.length) return `Deals at risk: ${deals(d.deals?.length ?? 0)} (${day})`;
  return `Churn alerts: ${customers(d.items.length)} at risk (${day})`;
}

/**
 * What the customers' figures are counted to. The run's day heads the digest, but the scores are
 * as of the data's day: on data that ended in the past (the CDNOW sample: 30 Jun 1998) "no purchase
 * for 54 days" and the churn probability read as counted to the run's day, and a stale score as
 * today's. The dashboard says "Data as of …"; the digest said nothing but on its lapsed line.
 */
export function scoresLine(d: Pick<Digest, 'scores' | 'items'>): string {
  if (!d.scores || !d.items.length) return '';
  const { asOf, horizonDays } = d.scores;
  const horizon = horizonDays && horizonDays > 0 ? ` each churn probability is the chance of no completed purchase in the ${horizonDays} days after it, and` : '';
  return `Scores as of ${asOf}:${horizon} days without a purchase are counted to it.`;
}

/** The opening line of the churn part; a deals-only digest says there are no new churn alerts rather than "0 of your accounts". */
function churnLead(d: Pick<Digest, 'items' | 'deals'>): string {
  if (d.items.length) return `${d.items.length} of your accounts ${d.items.length === 1 ? 'is' : 'are'} at risk of churning:`;
  return d.deals?.length ? 'No new churn alerts in this run.' : 'No new churn alerts, and none of your open deals is at risk any more.';
}

function itemLines(item: DigestItem, n: number, ctx: FormatContext): string[] {
  return [
    `${n}. ${item.customerName || item.customerId} (${item.customerId}) - ${triggerNote(item, ctx)}`,
    `   Churn probability ${pct(item.probability, ctx)} - value at risk ${money(item.valueAtRisk, ctx)} (${valueAtRiskNote(item, ctx)})`,
    ...(item.reasons.length ? [`   Why: ${item.reasons.map((r) => r.text).join('; ')}`] : []),
    `   Next step: ${item.nextStep}`,
    `   Customer page: ${item.url}`,
  ];
}

/**
 * A value from the data (a customer's, deal's or owner's name, a reason) on one line: control
 * characters and line or paragraph separators become a space. Whoever controls a source system's
 * name field could otherwise start lines of their own in the owner's digest — "IMPORTANT: your CRM
 * password expires, renew at https://…" as a paragraph of the company's own e-mail, or a Slack line
 * (eighth security review). HTML folds them already; the text and Slack bodies did not.
 */
// eslint-disable-next-line no-control-regex
export const oneLine = (s: string): string => s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');

/** Every string inside the digest's items and deals on one line (Dates and numbers as they are). */
function oneLineStrings<T>(v: T): T {
  if (typeof v === 'string') return oneLine(v) as T;
  if (Array.isArray(v)) return v.map(oneLineStrings) as T;
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, oneLineStrings(x)])) as T;
  return v;
}

export function renderText(digest: Digest, timezone = 'UTC', owner = ''): string {
  const d: Digest = { ...digest, ownerId: oneLine(digest.ownerId), items: oneLineStrings(digest.items), deals: oneLineStrings(digest.deals) };
  const ownerName = oneLine(owner);
  const lines = [
    `${d.items.length ? 'Churn alerts' : 'Deals at risk'} for ${ownerName || d.ownerId} - run of ${formatInZone(d.windowAt, timezone)}`,
    '',
    churnLead(d),
    '',
    ...(scoresLine(d) ? [scoresLine(d), ''] : []),
    ...d.items.flatMap((item, i) => [...itemLines(item, i + 1, d.format ?? DEFAULT_FORMAT), '']),
  ];
  lines.push(...dealsText(d.deals, d.format ?? DEFAULT_FORMAT));
  if (d.model) lines.push(modelLine(d), '');
  if (d.more > 0) lines.push(`${customers(d.more)} more at risk will follow in the next digest.`, '');
  if (d.lapsed?.count) lines.push(lapsedLine(d), '');
  lines.push(`Digest ${d.deliveryId}. You receive it because you own these accounts.`);
  return `${lines.join('\n')}\n`;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderHtml(d: Digest, timezone = 'UTC', ownerName = ''): string {
  const ctx = d.format ?? DEFAULT_FORMAT;
  const items = d.items
    .map(
      (item) => `<li style="margin-bottom:1em">
<a href="${esc(item.url)}"><strong>${esc(item.customerName || item.customerId)}</strong></a> (${esc(item.customerId)}) &middot; ${esc(triggerNote(item, ctx))}<br>
Churn probability <strong>${esc(pct(item.probability, ctx))}</strong> &middot; value at risk <strong>${esc(money(item.valueAtRisk, ctx))}</strong> (${esc(valueAtRiskNote(item, ctx))})<br>
${item.reasons.length ? `Why: ${item.reasons.map((r) => esc(r.text)).join('; ')}<br>` : ''}
Next step: ${esc(item.nextStep)}
</li>`,
    )
    .join('\n');
  return `<!doctype html>
<html><body style="font-family:sans-serif">
<p>${d.items.length ? 'Churn alerts' : 'Deals at risk'} for ${esc(ownerName || d.ownerId)} &middot; run of ${esc(formatInZone(d.windowAt, timezone))}</p>
<p>${esc(churnLead(d))}</p>
${scoresLine(d) ? `<p>${esc(scoresLine(d))}</p>` : ''}
${d.items.length ? `<ol>\n${items}\n</ol>` : ''}
${d.more > 0 ? `<p>${customers(d.more)} more at risk will follow in the next digest.</p>` : ''}
${d.lapsed?.count ? `<p>${esc(lapsedLine(d))}</p>` : ''}
${dealsHtml(d.deals, esc, ctx)}
${d.model ? `<p style="color:#666;font-size:small">${esc(modelLine(d))}</p>` : ''}
<p style="color:#666;font-size:small">Digest ${esc(d.deliveryId)}. You receive it because you own these accounts.</p>
</body></html>
`;
}

/** Slack's mrkdwn needs &, < and > escaped; links are <url|label>. */
const mrk = (s: string): string => oneLine(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Slack allows 50 blocks per message: header + context + this many customers + the "more" line. */
const SLACK_ITEMS = 45;

/**
 * Slack-compatible webhook body: `text` (notification fallback) and `blocks` for Slack, and `digest`
 * with the same content as data for any other receiver.
 */
export function renderWebhook(d: Digest, timezone = 'UTC'): Record<string, unknown> {
  const ctx = d.format ?? DEFAULT_FORMAT;
  const shown = d.items.slice(0, SLACK_ITEMS);
  const notShown = d.items.length - shown.length + d.more;
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: renderSubject(d, timezone).slice(0, 150) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: mrk(`Owner ${d.ownerId} · run of ${formatInZone(d.windowAt, timezone)}${scoresLine(d) ? ` · ${scoresLine(d)}` : ''}${d.model ? ` · ${modelLine(d)}` : ''}`) }] },
    ...shown.map((item) => ({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: [
          `*<${item.url}|${mrk(item.customerName || item.customerId)}>* (${mrk(item.customerId)}) · ${mrk(triggerNote(item, ctx))}`,
          `Churn probability *${mrk(pct(item.probability, ctx))}* · value at risk *${mrk(money(item.valueAtRisk, ctx))}* (${mrk(valueAtRiskNote(item, ctx))})`,
          ...item.reasons.map((r) => `• ${mrk(r.text)}`),
          `_Next step:_ ${mrk(item.nextStep)}`,
        ]
          .join('\n')
          .slice(0, 3000),
      },
    })),
  ];
  if (d.deals?.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: dealsMrkdwn(d.deals, mrk, ctx) } });
  if (d.lapsed?.count) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: mrk(lapsedLine(d)) }] });
  if (notShown > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${customers(notShown)} more at risk not listed here.` }] });
  return {
    text: mrk(`${renderSubject(d, timezone)} for ${d.ownerId}`),
    blocks,
    digest: digestData(d, timezone),
  };
}

/** The digest as plain data (webhook `digest` field, outbox .json beside each .eml, inbox API). */
export interface DigestData {
  delivery_id: string;
  message_id: string;
  owner_id: string;
  recipient: string;
  subject: string;
  run_window: string;
  planned_at: string;
  more_at_risk: number;
  /** The owner's lapsed customers (stored at scoring: no purchase in the active window before as_of), never alerted; absent when none. */
  lapsed_left_out?: { count: number; active_window_days: number; as_of: string };
  /** The day the customers' scores are as of (scoresLine), when known. */
  scores_as_of?: string;
  /** The owner's open deals at risk (issue 18); absent when they have none. */
  deals_at_risk?: ReturnType<typeof dealsData>;
  customers: {
    customer_id: string;
    name: string;
    episode_id: string;
    probability: number;
    previous_probability: number | null;
    value_at_risk: number;
    value_basis: DigestItem['valueBasis'];
    reasons: Reason[];
    next_step: string;
    trigger: Trigger;
    url: string;
  }[];
}

export function digestData(d: Digest, timezone = 'UTC'): DigestData {
  return {
    delivery_id: d.deliveryId,
    message_id: d.messageId,
    owner_id: d.ownerId,
    recipient: d.recipient,
    subject: renderSubject(d, timezone),
    run_window: d.window,
    planned_at: d.plannedAt.toISOString(),
    more_at_risk: d.more,
    ...(d.lapsed?.count ? { lapsed_left_out: { count: d.lapsed.count, active_window_days: d.lapsed.activeWindowDays, as_of: d.lapsed.asOf } } : {}),
    ...(d.scores && d.items.length ? { scores_as_of: d.scores.asOf } : {}),
    ...(d.deals?.length ? { deals_at_risk: dealsData(d.deals) } : {}),
    customers: d.items.map((i) => ({
      customer_id: i.customerId,
      name: i.customerName,
      episode_id: i.episodeId,
      probability: i.probability,
      previous_probability: i.previousProbability,
      value_at_risk: i.valueAtRisk,
      value_basis: i.valueBasis,
      reasons: i.reasons,
      next_step: i.nextStep,
      trigger: i.trigger,
      url: i.url,
    })),
  };
}
