import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Calendar, DAY } from './calendar.ts';
import { CURRENCY_RATES, DEMO_USERS, type Product } from './catalog.ts';
import { csvField, money } from './csv.ts';
import { DIRTY_RATE, EntityWriter, FILES, type FileKey, type Value } from './files.ts';
import { e164, emailStyles, formatEmail, formatPhone, type PhoneStyle } from './identity.ts';
import { buildManifest, FORMAT_VERSION, Stats, type DemoManifest } from './manifest.ts';
import { makePerson, type Person } from './person.ts';
import { simulate } from './activity.ts';
import { consentRows } from './consent-events.ts';
import { Random, Stream } from './random.ts';
import { World, type DemoOptions } from './world.ts';

export interface Progress {
  customers: number;
  total: number;
  /** Data lines written so far, all files. */
  rows: number;
  transactions: number;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Sequential ids per kind; fixed widths so every scale sorts the same way. */
class Ids {
  private n = { shop: 0, support: 0, sales: 0, order: 0, txn: 0, interaction: 0, opp: 0 };
  shop = (): string => `SH-${pad(++this.n.shop, 7)}`;
  support = (): string => `SU-${pad(++this.n.support, 7)}`;
  sales = (): string => `SA-${pad(++this.n.sales, 7)}`;
  order = (): string => `O-${pad(++this.n.order, 9)}`;
  txn = (): string => `T-${pad(++this.n.txn, 9)}`;
  interaction = (): string => `I-${pad(++this.n.interaction, 9)}`;
  opp = (): string => `OP-${pad(++this.n.opp, 7)}`;
}

type Writers = Record<FileKey, EntityWriter>;

/** How each source spells the same e-mail address. */
const EMAIL_STYLE = {
  shop: emailStyles({ canonical: 70, capitalized: 20, upper: 5, padded: 5 }),
  secondShop: emailStyles({ capitalized: 30, upper: 25, padded: 30, mixed_domain: 15 }),
  support: emailStyles({ canonical: 40, capitalized: 20, upper: 15, padded: 15, mixed_domain: 10 }),
  sales: emailStyles({ canonical: 30, capitalized: 50, padded: 20 }),
};

/** Customers generated between two backpressure checks (bounded memory: a batch is a few MB at most). */
const BATCH = 128;

/**
 * Writes the demo world to `options.out`: the canonical ingest files, truth.csv (planted answers,
 * not ingested), mapping.json (currency rates for the ingest mapping) and manifest.json, written last
 * so its presence means the directory is complete. Customers are generated one at a time from their
 * own random stream and written straight to disk, so memory stays flat at any scale.
 */
export async function generateDemo(options: DemoOptions, onProgress?: (p: Progress) => void): Promise<DemoManifest> {
  const world = new World(options);
  await mkdir(options.out, { recursive: true });
  await rm(join(options.out, 'manifest.json'), { force: true });
  const writers = Object.fromEntries(
    (Object.keys(FILES) as FileKey[]).map((k) => [k, new EntityWriter(FILES[k], join(options.out, FILES[k].file))]),
  ) as Writers;
  try {
    writeUsers(writers.users);
    writeCampaigns(world, writers.campaigns);
    const ids = new Ids();
    const stats = new Stats(world);
    const total = options.scale.customers;
    for (let i = 0; i < total; i++) {
      emitCustomer(world, writers, ids, stats, i);
      if (i % BATCH === BATCH - 1 || i === total - 1) {
        for (const w of Object.values(writers)) if (w.full) await w.flush();
        if (onProgress) {
          let rows = 0;
          for (const w of Object.values(writers)) rows += w.rows;
          onProgress({ customers: i + 1, total, rows, transactions: writers.transactions.rows });
        }
      }
    }
    const results = {} as Record<FileKey, { rows: number; bytes: number; sha256: string; dirty: EntityWriter['dirty']; dirtyRows: number }>;
    for (const k of Object.keys(writers) as FileKey[]) {
      const r = await writers[k].close();
      results[k] = { ...r, dirty: writers[k].dirty, dirtyRows: writers[k].dirtyRows };
    }
    const manifest = buildManifest(world, stats, results);
    // An ingest mapping file (ingest/mapping/mapping-file.ts): `npm run ingest -- … --mapping mapping.json`.
    const mapping = { $comment: 'Demo data: amounts in USD/GBP are converted to EUR with these rates (EUR per unit).', currency: { base: 'EUR', rates: CURRENCY_RATES } };
    await writeFile(join(options.out, 'mapping.json'), JSON.stringify(mapping, null, 2) + '\n');
    await writeFile(join(options.out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    return manifest;
  } catch (err) {
    for (const w of Object.values(writers)) w.destroy();
    throw err;
  }
}

const productCsvCache = new Map<string, string>();
/** "name,category" of a product, CSV-quoted once. */
function productCsv(p: Product): string {
  let text = productCsvCache.get(p.id);
  if (text === undefined) {
    text = `${csvField(p.name)},${csvField(p.category)}`;
    productCsvCache.set(p.id, text);
  }
  return text;
}

const jsonCache = new Map<string, string>();
/** JSON string literal of a subject line (a small fixed set), escaped once. */
function jsonString(text: string): string {
  let json = jsonCache.get(text);
  if (json === undefined) {
    json = JSON.stringify(text);
    jsonCache.set(text, json);
  }
  return json;
}

function customerRow(cal: Calendar, p: Person, source: string, id: string, name: string, email: string, phone: string, ext: string, region: string, city: string, acquisition: string, owner: string, signup: number, updated: number): Value[] {
  return [source, id, p.type, name, email, phone, p.company, ext, region, p.country.code, city, acquisition, owner, cal.date(signup), cal.dateTime(updated)];
}

function morning(rng: Random, day: number): number {
  return day * DAY + 9 * 3600 + rng.int(0, 3599);
}

/**
 * Reuses `options.out` when it already holds a complete world of this generator version for the same
 * seed, scale and day (the start command calls this on every first start); generates it otherwise.
 */
export async function ensureDemoFiles(options: DemoOptions, onProgress?: (p: Progress) => void): Promise<{ manifest: DemoManifest; generated: boolean }> {
  try {
    const existing = JSON.parse(await readFile(join(options.out, 'manifest.json'), 'utf8')) as DemoManifest;
    if (
      existing.format_version === FORMAT_VERSION && existing.seed === options.seed && existing.today === options.today &&
      existing.scale.customers === options.scale.customers && existing.scale.targets.transactions === options.scale.customers * options.scale.transactionsPerCustomer
    ) {
      return { manifest: existing, generated: false };
    }
  } catch {
    // no (readable) manifest: generate
  }
  return { manifest: await generateDemo(options, onProgress), generated: true };
}

function writeUsers(w: EntityWriter): void {
  for (const u of DEMO_USERS) w.write([u.user_id, u.email, u.name, u.role, u.owner_id, u.region, '']);
}

function writeCampaigns(world: World, w: EntityWriter): void {
  for (const c of world.campaigns) {
    w.write([c.id, c.name, c.channel, c.objective, c.segmentId, world.cal.date(c.start), world.cal.date(c.end), money(c.budgetCents)]);
  }
}

function emitCustomer(world: World, w: Writers, ids: Ids, stats: Stats, index: number): void {
  const { cal } = world;
  const rng = new Random(world.options.seed, Stream.customers, index);
  const p = makePerson(world, rng, index, world.ordersPerYear);
  const act = simulate(world, rng, p);
  const business = p.type === 'business';

  const shopId = p.prospect ? '' : ids.shop();
  const shopId2 = act.secondAccountDay !== undefined ? ids.shop() : '';
  let firstSupport = -1;
  let lastSupport = -1;
  for (const t of act.touches) {
    if (t.source !== 'support') continue;
    if (firstSupport < 0) firstSupport = t.at;
    lastSupport = t.at;
  }
  const supportId = firstSupport >= 0 ? ids.support() : '';
  const salesId = business || act.deals.length > 0 ? ids.sales() : '';
  const region = p.country.region;

  if (shopId) {
    let last = morning(rng, p.signupDay);
    for (const o of act.orders) if (o.account === 0 && o.at > last) last = o.at;
    const email = formatEmail(p.email, EMAIL_STYLE.shop.pick(rng));
    const phone = p.shopHasPhone ? formatPhone(p.phone, rng.chance(0.5) ? 'international' : 'national') : '';
    const row = customerRow(cal, p, 'shop', shopId, p.name, email, phone, '', region, p.city.name, p.acquisition, business ? p.owner!.user_id : '', p.signupDay, last);
    w.customers_shop.write(row);
    w.customers_shop.maybeDirty(rng, row, ids.shop);
    stats.record('shop', { email, phone, ext: '' });
  }
  if (shopId2) {
    const day = act.secondAccountDay!;
    let last = morning(rng, day);
    for (const o of act.orders) if (o.account === 1 && o.at > last) last = o.at;
    const email = formatEmail(p.email, EMAIL_STYLE.secondShop.pick(rng));
    const phone = rng.chance(0.5) ? formatPhone(p.phone, rng.pick<PhoneStyle>(['double_zero', 'trunk_in_parens', 'dashed'])) : '';
    const row = customerRow(cal, p, 'shop', shopId2, p.name, email, phone, '', region, p.city.name, 'organic_search', '', day, last);
    w.customers_shop.write(row);
    w.customers_shop.maybeDirty(rng, row, ids.shop);
    stats.record('shop', { email, phone, ext: '' });
  }
  if (supportId) {
    const r = rng.float();
    const phoneOnly = p.shopHasPhone && r < 0.2;
    const withPhone = phoneOnly || r < 0.45;
    const email = phoneOnly ? '' : formatEmail(p.email, EMAIL_STYLE.support.pick(rng));
    const phone = withPhone ? formatPhone(p.phone, rng.pick<PhoneStyle>(['national', 'double_zero', 'trunk_in_parens', 'dashed', 'international'])) : '';
    const ext = shopId && rng.chance(0.25) ? JSON.stringify({ shop: shopId }) : '';
    const row = customerRow(cal, p, 'support', supportId, p.contact, email, phone, ext, rng.chance(0.85) ? region : '', rng.chance(0.7) ? p.city.name : '', '', '', Math.floor(firstSupport / DAY), lastSupport);
    w.customers_support.write(row);
    w.customers_support.maybeDirty(rng, row, ids.support);
    stats.record('support', { email, phone, ext });
  }
  if (salesId) {
    let updated = morning(rng, p.accountDay);
    for (const d of act.deals) if (d.updatedAt > updated) updated = d.updatedAt;
    const signup = business ? p.accountDay : act.deals[0].createdDay;
    const email = formatEmail(p.email, EMAIL_STYLE.sales.pick(rng));
    const phone = rng.chance(0.7) ? formatPhone(p.phone, rng.chance(0.5) ? 'international' : 'dashed') : '';
    const ext = shopId && rng.chance(0.75) ? JSON.stringify({ shop: shopId }) : '';
    const row = customerRow(cal, p, 'sales', salesId, p.name, email, phone, ext, region, p.city.name, business ? p.acquisition : 'sales_outbound', p.owner?.user_id ?? '', signup, updated);
    w.customers_sales.write(row);
    w.customers_sales.maybeDirty(rng, row, ids.sales);
    stats.record('sales', { email, phone, ext });
  }

  // Transactions and interactions are 90% of all rows: their lines are built directly (same bytes as
  // EntityWriter.write would produce); the field array is only made for the rare dirty copy.
  const tx = w.transactions;
  for (const o of act.orders) {
    const orderId = ids.order();
    const ref = o.account === 1 ? shopId2 : shopId;
    const orderDate = cal.dateTime(o.at);
    for (const l of o.lines) {
      const txnId = ids.txn();
      const amount = money(l.unit * l.qty);
      const updated = l.updatedAt === o.at ? orderDate : cal.dateTime(l.updatedAt);
      tx.line(`shop,${txnId},${orderId},${ref},${orderDate},${l.status},${amount},${o.currency},${l.qty},${l.product.id},${productCsv(l.product)},${o.channel},${updated}`);
      if (rng.chance(DIRTY_RATE)) {
        const row: Value[] = ['shop', txnId, orderId, ref, orderDate, l.status, amount, o.currency, l.qty, l.product.id, l.product.name, l.product.category, o.channel, updated];
        tx.writeDirty(rng, rng.pick(FILES.transactions.dirty.kinds), row, ids.txn);
      }
    }
  }

  const refOf = { shop: shopId, support: supportId, sales: salesId };
  const ix = w.interactions;
  for (const t of act.touches) {
    const id = ids.interaction();
    const ref = refOf[t.source];
    const at = cal.dateTime(t.at);
    ix.line(
      `{"source":"${t.source}","interaction_id":"${id}","customer_ref":"${ref}","occurred_at":"${at}","type":"${t.type}","channel":"${t.channel}",` +
        `"direction":"${t.direction}","outcome":"${t.outcome}","csat":${t.csat ?? 'null'},"campaign_id":${t.campaignId === null ? 'null' : `"${t.campaignId}"`},` +
        `"owner_id":${t.ownerId === null ? 'null' : `"${t.ownerId}"`},"subject":${t.subject === null ? 'null' : jsonString(t.subject)},"duration_seconds":${t.duration ?? 'null'}}`,
    );
    if (rng.chance(DIRTY_RATE)) {
      const row: Value[] = [t.source, id, ref, at, t.type, t.channel, t.direction, t.outcome, t.csat, t.campaignId, t.ownerId, t.subject, t.duration];
      ix.writeDirty(rng, rng.pick(FILES.interactions.dirty.kinds), row, ids.interaction);
    }
  }

  for (const d of act.deals) {
    const history = JSON.stringify(d.history.map(([stage, day]) => ({ stage, entered_at: cal.date(day) })));
    const row: Value[] = [
      'sales', ids.opp(), salesId, d.ownerId, `${p.name} – ${d.product.name}`, d.product.name, money(d.amount), d.currency, d.stage, d.status, d.lossReason, d.competitor,
      cal.date(d.createdDay), d.closedDay === null ? '' : cal.date(d.closedDay), cal.date(d.expectedDay), history, d.notes, cal.dateTime(d.updatedAt),
      d.discount, d.leadSource, d.contactsMet,
    ];
    w.opportunities.write(row);
    w.opportunities.maybeDirty(rng, row, ids.opp);
  }

  const memberOf = new Set<string>();
  for (const m of act.memberships) memberOf.add(m.campaign.id);
  for (const m of act.memberships) {
    const row: Value[] = [
      m.campaign.id, m.source, m.source === 'shop' ? shopId : salesId, cal.dateTime(m.addedAt), m.status,
      m.respondedAt === null ? '' : cal.dateTime(m.respondedAt), m.convertedAt === null ? '' : cal.dateTime(m.convertedAt), money(m.revenue),
    ];
    w.campaign_members.write(row);
    // A dirty member row names a campaign the person is not in, so accepting it could not overwrite a real membership.
    if (rng.chance(DIRTY_RATE)) {
      const others = world.campaigns.filter((c) => !memberOf.has(c.id));
      if (others.length > 0) {
        const copy = row.slice();
        copy[0] = rng.pick(others).id;
        w.campaign_members.writeDirty(rng, rng.pick(FILES.campaign_members.dirty.kinds), copy);
      }
    }
  }

  const consentRef = shopId ? { source: 'shop', id: shopId } : supportId ? { source: 'support', id: supportId } : salesId ? { source: 'sales', id: salesId } : undefined;
  if (consentRef) for (const row of consentRows(cal, world.options.seed, index, consentRef, p.signupDay, world.today)) w.consents.write(row);

  const lastOrder = act.orders.length ? act.orders[act.orders.length - 1].at : undefined;
  w.truth.write([
    p.id, p.type, p.prospect ? 1 : 0, shopId, shopId2, supportId, salesId, p.owner?.user_id ?? '', region, p.country.code, cal.date(p.signupDay),
    p.churn ? 1 : 0, p.churn?.archetype ?? '', p.churn ? cal.date(p.churn.day) : '', p.churn ? cal.date(p.churn.driftStart) : '',
    lastOrder === undefined ? '' : cal.date(Math.floor(lastOrder / DAY)), act.orders.length, p.email, e164(p.phone),
  ]);
  stats.person(p, act, { shop: shopId ? 1 + (shopId2 ? 1 : 0) : 0, support: supportId ? 1 : 0, sales: salesId ? 1 : 0 });
}
