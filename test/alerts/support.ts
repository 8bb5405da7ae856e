/**
 * Test support for the alerts suites: a real SMTP server and a webhook receiver on loopback, and a
 * hand-countable fixture written straight into the warehouse tables the alerts read.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { verifyWebhookSignature } from '../../lib/webhook/index.ts';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

export interface SmtpSink {
  port: number;
  running: boolean;
  url: string;
  messages: ReceivedMail[];
  /** Stops listening: connections are refused until start() (same port). */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  let server: SMTPServer | undefined;
  let port = 0;
  const start = async (): Promise<void> => {
    const s = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      closeTimeout: 1000,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.server.address() as AddressInfo).port;
    server = s;
  };
  const stop = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await start();
  return {
    get port() {
      return port;
    },
    get running() {
      return server !== undefined;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    messages,
    start,
    stop,
    close: stop,
  };
}

export interface ReceivedHook {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: Record<string, unknown>;
  signatureValid: boolean;
}

export interface WebhookSink {
  url: string;
  received: ReceivedHook[];
  /** HTTP status to answer (200 by default). */
  status: number;
  close(): Promise<void>;
}

export async function startWebhookSink(secret: string): Promise<WebhookSink> {
  const received: ReceivedHook[] = [];
  const sink = { status: 200 } as WebhookSink;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (sink.status === 200) {
        received.push({
          headers: req.headers,
          body,
          json: JSON.parse(body) as Record<string, unknown>,
          signatureValid: verifyWebhookSignature(secret, { timestamp: req.headers['x-crm-timestamp'] as string, signature: req.headers['x-crm-signature'] as string }, body),
        });
      }
      res.writeHead(sink.status, { 'content-type': 'text/plain', connection: 'close' });
      res.end(sink.status === 200 ? 'ok' : 'unavailable');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T000/B000/secretpath`;
  sink.received = received;
  sink.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return sink;
}

export function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head);
  return m?.[1].trim();
}

/** The text/plain part of a nodemailer multipart/alternative message, decoded. */
export function textPart(raw: string): string {
  return decodePart(raw).replace(/\r\n/g, '\n');
}

function decodePart(raw: string): string {
  const m = /Content-Type: text\/plain[^\n]*\r?\n(?:Content-Transfer-Encoding: ([^\r\n]+)\r?\n)?\r?\n([\s\S]*?)\r?\n--/i.exec(raw);
  if (!m) return '';
  const body = m[2];
  if (/quoted-printable/i.test(m[1] ?? '')) return decodeQp(body);
  if (/base64/i.test(m[1] ?? '')) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

function decodeQp(s: string): string {
  const bytes: number[] = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

// ---------------------------------------------------------------------------------------------
// Fixture

export const NOW = '2024-03-11T07:00:00.000Z';
const ch = (iso: string): string => iso.replace('T', ' ').replace('Z', '');

export interface FixtureScore {
  id: string;
  owner: string;
  name: string;
  p: number;
  clv?: number;
  reasons: [string, string, number][];
  /** Stored as lapsed by scoring (risk_band 'lapsed'): what the alerts read, whatever the probability. */
  lapsed?: boolean;
}

/**
 * Owners U-OWN-01 (Anna, anna@example.test) and U-OWN-02 (Ben, ben@example.test); U-OWN-03 has no
 * user. With threshold 0.6 and minimum value at risk 100 (value at risk = probability × CLV):
 *   C-01 U-OWN-01 0.85 clv 12,000 complaints  → alert
 *   C-02 U-OWN-01 0.72 clv  5,000 recency     → alert
 *   C-03 U-OWN-01 0.40 clv  9,000             → below threshold
 *   C-04 U-OWN-01 0.90 clv     50             → value below minimum
 *   C-05 U-OWN-02 0.66 clv  2,000 satisfaction → alert (value at risk 1,320); revenue 1,234.50 in the last 12 months
 *   C-06 U-OWN-02 0.95 clv    800 e-mail      → alert
 *   C-07 (no owner) 0.99                      → nobody to tell
 *   C-08 U-OWN-03 0.80 clv  1,000             → alert when U-OWN-03 is included (no e-mail address)
 */
export const SCORES: FixtureScore[] = [
  { id: 'C-01', owner: 'U-OWN-01', name: 'Acme GmbH', p: 0.85, clv: 12000, reasons: [['complaints_30d', '3 complaints in the last 30 days', 0.21], ['recency_days', 'no purchase for 140 days', 0.12]] },
  { id: 'C-02', owner: 'U-OWN-01', name: 'Birch & Co <Ltd>', p: 0.72, clv: 5000, reasons: [['recency_days', 'no purchase for 200 days', 0.3], ['orders_90d', 'no orders in the last 90 days', 0.05]] },
  { id: 'C-03', owner: 'U-OWN-01', name: 'Calm Corp', p: 0.4, clv: 9000, reasons: [['recency_days', 'no purchase for 40 days', 0.05]] },
  { id: 'C-04', owner: 'U-OWN-01', name: 'Dust Inc', p: 0.9, clv: 50, reasons: [['recency_days', 'no purchase for 300 days', 0.4]] },
  { id: 'C-05', owner: 'U-OWN-02', name: 'Cedar AG', p: 0.66, clv: 2000, reasons: [['csat_avg_180d', 'average satisfaction 1.5/5', 0.18]] },
  { id: 'C-06', owner: 'U-OWN-02', name: 'Delta Oy', p: 0.95, clv: 800, reasons: [['email_open_rate_90d', 'opened none of the 6 e-mails sent in the last 90 days', 0.1]] },
  { id: 'C-07', owner: '', name: 'Orphan Ltd', p: 0.99, clv: 10000, reasons: [['recency_days', 'no purchase for 400 days', 0.5]] },
  { id: 'C-08', owner: 'U-OWN-03', name: 'Echo SA', p: 0.8, clv: 1000, reasons: [['deals', 'lost 2 deals', 0.1]] },
];

export async function insertFixture(wh: Warehouse, scoredAt = NOW, scores: FixtureScore[] = SCORES): Promise<void> {
  const db = wh.database;
  const version = Date.now();
  await wh.client.insert({
    table: `${db}.users`,
    values: [
      { user_id: 'U-OWN-01', email: 'anna@example.test', name: 'Anna Berg', role: 'owner', owner_id: 'U-OWN-01', version },
      { user_id: 'U-OWN-02', email: 'ben@example.test', name: 'Ben Kurz', role: 'owner', owner_id: 'U-OWN-02', version },
      { user_id: 'U-MKT-01', email: 'mark@example.test', name: 'Mark', role: 'marketer', owner_id: '', version },
    ],
    format: 'JSONEachRow',
  });
  await wh.client.insert({
    table: `${db}.customers`,
    values: scores.map((s) => ({ customer_id: s.id, customer_type: 'business', name: s.name, company: s.name, owner_id: s.owner, version })),
    format: 'JSONEachRow',
  });
  await setScores(wh, scores, scoredAt);
  // C-05's orders: the as-of tests read the run's data day from their dates (the data ends 2024-03-11).
  const tx = (id: string, date: string, status: string, amount: number) => ({
    source: 'shop', transaction_id: id, order_id: id, customer_id: 'C-05', customer_ref: 'C-05', order_date: date, status, amount, original_amount: amount,
    original_currency: 'EUR', quantity: 1, batch_id: 'b', row_hash: 1, version,
  });
  await wh.client.insert({
    table: `${db}.transactions`,
    values: [
      tx('T-1', '2023-06-01 10:00:00', 'completed', 1000),
      tx('T-2', '2024-03-10 23:59:59', 'completed', 234.5),
      tx('T-3', '2024-01-15 09:00:00', 'refunded', 500), // refunded: not revenue
      tx('T-4', '2023-03-10 12:00:00', 'completed', 9999), // before the 365-day window
      tx('T-5', '2024-03-11 00:00:00', 'completed', 7777), // on the run day: not before it
      // One purchase each for the other scored customers, inside the model's 365-day active window
      // before the run day, so the data agrees with their stored (active) bands.
      ...scores
        .filter((s) => s.id !== 'C-05')
        .map((s) => ({ ...tx(`T-${s.id}`, '2024-01-02 12:00:00', 'completed', 100), customer_id: s.id, customer_ref: s.id })),
    ],
    format: 'JSONEachRow',
  });
}

/** (Re)writes churn and CLV scores: a later scored_at replaces the row (ReplacingMergeTree). */
export async function setScores(wh: Warehouse, scores: FixtureScore[], scoredAt: string): Promise<void> {
  const db = wh.database;
  await wh.client.insert({
    table: `${db}.churn_scores`,
    values: scores.map((s) => ({
      customer_id: s.id,
      probability: s.p,
      risk_band: s.lapsed ? 'lapsed' : s.p >= 0.6 ? 'high' : s.p >= 0.3 ? 'medium' : 'low',
      top_reasons: s.reasons.map(([feature, text, contribution]) => ({ feature, text, contribution })),
      model_version: 'churn-test',
      cutoff: scoredAt.slice(0, 10),
      scored_at: ch(scoredAt),
    })),
    format: 'JSONEachRow',
  });
  await wh.client.insert({
    table: `${db}.clv_scores`,
    values: scores
      .filter((s) => s.clv !== undefined)
      .map((s) => ({ customer_id: s.id, p_alive: 0.5, expected_purchases_90d: 1, expected_order_value: 100, clv_12m: s.clv, model_version: 'clv-test', cutoff: scoredAt.slice(0, 10), scored_at: ch(scoredAt) })),
    format: 'JSONEachRow',
  });
}

export async function truncateAlerts(wh: Warehouse): Promise<void> {
  for (const t of ['alert_ledger', 'alert_episode_closures', 'alert_runs']) await wh.client.command({ query: `TRUNCATE TABLE ${wh.database}.${t}` });
}

export async function ledgerCount(wh: Warehouse): Promise<number> {
  const rs = await wh.client.query({ query: `SELECT count() AS n FROM ${wh.database}.alert_ledger`, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0].n);
}
