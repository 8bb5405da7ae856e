import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { generateDemo } from '../../ingest/demo/generate.ts';
import type { DemoManifest } from '../../ingest/demo/manifest.ts';
import { parseScale, SCALES } from '../../ingest/demo/scale.ts';
import { dayOf, defects, readCsv, readNdjson, timeOf, type Defect, type RawRow } from './demo-files.ts';

const TODAY = '2026-11-01';
const TODAY_DAY = Date.UTC(2026, 10, 1) / 86_400_000;
const root = mkdtempSync(join(tmpdir(), 'demo-test-'));
const dirA = join(root, 'a');
const dirB = join(root, 'b');
const dirC = join(root, 'c');

const ENTITY_OF: Record<string, string> = {
  'customers_shop.csv': 'customers',
  'customers_support.csv': 'customers',
  'customers_sales.csv': 'customers',
  'transactions.csv': 'transactions',
  'interactions.ndjson': 'interactions',
  'opportunities.csv': 'opportunities',
  'campaign_members.csv': 'campaign_members',
};

let manifest: DemoManifest;
/** Every row of every checked file, and the clean ones (no defect). */
const all: Record<string, RawRow[]> = {};
const clean: Record<string, Record<string, string>[]> = {};
let truth: Record<string, string>[];

/**
 * assert.ok with a required message: without one, a failing assert.ok re-reads the source to describe
 * the expression, which hangs under the tsx loader.
 */
function ok(value: unknown, message: string): asserts value {
  assert.ok(value, message);
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

before(async () => {
  const opts = { scale: SCALES.small, seed: 42, today: TODAY };
  manifest = await generateDemo({ out: dirA, ...opts });
  await generateDemo({ out: dirB, ...opts });
  await generateDemo({ out: dirC, ...opts, seed: 7 });
  for (const file of Object.keys(ENTITY_OF)) {
    const rows = file.endsWith('.ndjson') ? readNdjson(join(dirA, file)) : readCsv(join(dirA, file)).rows;
    all[file] = rows;
    clean[file] = rows.filter((r) => defects(ENTITY_OF[file], r).length === 0).map((r) => Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, str(v)])));
  }
  truth = readCsv(join(dirA, 'truth.csv')).rows.map((r) => r.values as Record<string, string>);
});

after(() => rmSync(root, { recursive: true, force: true }));

describe('demo generator: determinism', () => {
  it('writes byte-identical files for the same seed, and the manifest holds their checksums', () => {
    const files = readdirSync(dirA).sort();
    assert.deepEqual(readdirSync(dirB).sort(), files);
    for (const f of files) assert.equal(sha256(join(dirA, f)), sha256(join(dirB, f)), f);
    for (const [f, summary] of Object.entries(manifest.files)) assert.equal(summary.sha256, sha256(join(dirA, f)), f);
  });

  it('writes different data for a different seed (the static users file aside)', () => {
    for (const f of ['customers_shop.csv', 'transactions.csv', 'interactions.ndjson', 'opportunities.csv', 'campaign_members.csv', 'campaigns.csv', 'truth.csv']) {
      assert.notEqual(sha256(join(dirA, f)), sha256(join(dirC, f)), f);
    }
    assert.equal(sha256(join(dirA, 'users.csv')), sha256(join(dirC, 'users.csv')));
  });
});

describe('demo generator: sizes and realism at small scale', () => {
  it('meets the stated volumes within the stated tolerance', () => {
    const { targets } = manifest.scale;
    assert.equal(manifest.scale.customers, 2000);
    assert.equal(truth.length, 2000);
    const within = (name: string, actual: number, target: number): void =>
      ok(Math.abs(actual - target) <= targets.tolerance * target, `${name}: ${actual} not within ±${targets.tolerance * 100}% of ${target}`);
    within('transactions', clean['transactions.csv'].length, targets.transactions);
    within('interactions', clean['interactions.ndjson'].length, targets.interactions);
    within('opportunities', clean['opportunities.csv'].length, targets.opportunities);
    const businesses = truth.filter((t) => t.customer_type === 'business').length / truth.length;
    ok(businesses > 0.12 && businesses < 0.18, `business share ${businesses}`);
    ok(manifest.churn.churner_share >= 0.25 && manifest.churn.churner_share <= 0.3, `churner share ${manifest.churn.churner_share}`);
    ok(manifest.campaigns.length >= 15 && manifest.campaigns.length <= 25, `${manifest.campaigns.length} campaigns`);
  });

  it('has the demo users with fixed ids and no password hashes', () => {
    const users = readCsv(join(dirA, 'users.csv')).rows.map((r) => r.values as Record<string, string>);
    const byEmail = new Map(users.map((u) => [u.email, u]));
    for (const [email, role] of [['exec@demo.local', 'executive'], ['marketer@demo.local', 'marketer'], ['analyst@demo.local', 'analyst'], ['admin@demo.local', 'admin']]) {
      assert.equal(byEmail.get(email)?.role, role, email);
    }
    const owners = users.filter((u) => u.role === 'owner');
    assert.equal(owners.length, 12);
    assert.deepEqual(owners.map((o) => o.owner_id), Array.from({ length: 12 }, (_, i) => `U-OWN-${String(i + 1).padStart(2, '0')}`));
    ok(users.every((u) => u.password_hash === ''), 'password_hash is left empty');
  });

  it('has refunds, cancellations, currencies, channels and a November/December peak', () => {
    const tx = clean['transactions.csv'];
    const count = (f: (r: Record<string, string>) => boolean): number => tx.filter(f).length / tx.length;
    const refunded = count((r) => r.status === 'refunded');
    const cancelled = count((r) => r.status === 'cancelled');
    ok(refunded > 0.03 && refunded < 0.055, `refunded ${refunded}`);
    ok(cancelled > 0.01 && cancelled < 0.03, `cancelled ${cancelled}`);
    ok(count((r) => r.currency === 'EUR') > 0.7, 'mostly EUR');
    ok(count((r) => r.currency === 'USD') > 0.01 && count((r) => r.currency === 'GBP') > 0.05, 'some USD and GBP');
    assert.deepEqual([...new Set(tx.map((r) => r.channel))].sort(), ['marketplace', 'partner', 'phone', 'store', 'web']);
    const orders = new Map<string, number>();
    for (const r of tx) orders.set(r.order_id, dayOf(r.order_date.slice(0, 10))!);
    ok(orders.size < tx.length, 'orders group several lines');
    let peak = 0;
    let rest = 0;
    for (const day of orders.values()) {
      if (day < TODAY_DAY - 730) continue; // two whole years
      if (new Date(day * 86_400_000).getUTCMonth() >= 10) peak++;
      else rest++;
    }
    ok(peak / 61 > 1.3 * (rest / (730 - 61)), `Nov/Dec ${peak / 61} orders/day vs ${rest / 669}`);
    ok([...orders.values()].every((d) => d < TODAY_DAY), 'no order on or after today');
  });
});

describe('demo generator: dirty rows', () => {
  it('plants exactly the dirty rows the manifest counts, one defect each', () => {
    const seen = new Set<Defect>();
    for (const [file, rows] of Object.entries(all)) {
      const tally: Partial<Record<Defect, number>> = {};
      for (const r of rows) {
        const d = defects(ENTITY_OF[file], r);
        ok(d.length <= 1, `${file}:${r.line} has ${d.join(', ')}`);
        if (d.length === 1) {
          tally[d[0]] = (tally[d[0]] ?? 0) + 1;
          seen.add(d[0]);
        }
      }
      const summary = manifest.files[file];
      assert.deepEqual(tally, summary.dirty, file);
      assert.equal(summary.rows - summary.valid_rows, Object.values(tally).reduce((s, n) => s + n, 0), file);
      const share = summary.dirty_rows / summary.rows;
      if (summary.rows > 5000) ok(share > 0.0025 && share < 0.0075, `${file}: ${share} dirty`);
    }
    assert.deepEqual([...seen].sort(), ['bad_date', 'invalid_utf8', 'missing_id', 'negative_quantity', 'unknown_status', 'unknown_type']);
  });

  it('writes invalid UTF-8 as raw bytes', () => {
    const raw = readFileSync(join(dirA, 'transactions.csv'));
    assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(raw));
    ok(all['interactions.ndjson'].some((r) => !r.utf8), 'an NDJSON line with invalid UTF-8');
  });
});

describe('demo generator: planted churn', () => {
  const byRef = (source: string): Map<string, Record<string, string>> => {
    const map = new Map<string, Record<string, string>>();
    for (const t of truth) {
      for (const id of source === 'shop' ? [t.shop_id, t.shop_id_2] : [t[`${source}_id`]]) if (id) map.set(id, t);
    }
    return map;
  };

  it('churners complain far more, rate support worse and buy less before they leave', () => {
    const support = byRef('support');
    const complaints = new Map<string, number[]>();
    const lowCsat = new Map<string, number[]>();
    for (const r of clean['interactions.ndjson']) {
      if (r.source !== 'support') continue;
      const person = support.get(r.customer_ref);
      ok(person, `support ref ${r.customer_ref}`);
      const day = Math.floor(timeOf(r.occurred_at)! / 86_400);
      if (r.type === 'complaint') (complaints.get(person.person_id) ?? complaints.set(person.person_id, []).get(person.person_id)!).push(day);
      if (r.csat !== '' && Number(r.csat) <= 2) (lowCsat.get(person.person_id) ?? lowCsat.set(person.person_id, []).get(person.person_id)!).push(day);
    }
    const rate = (events: Map<string, number[]>, churners: boolean): number => {
      let n = 0;
      let sum = 0;
      for (const t of truth) {
        if (t.is_prospect === '1' || (t.is_churner === '1') !== churners) continue;
        const end = churners ? dayOf(t.churn_date)! : TODAY_DAY;
        if (end - 90 < dayOf(t.signup_date)!) continue;
        n++;
        sum += (events.get(t.person_id) ?? []).filter((d) => d >= end - 90 && d < end).length;
      }
      return sum / n;
    };
    const churnerComplaints = rate(complaints, true);
    const stayerComplaints = rate(complaints, false);
    ok(churnerComplaints >= 3 * stayerComplaints, `complaints per customer in the last 90 days: churners ${churnerComplaints}, staying ${stayerComplaints}`);
    ok(Math.abs(churnerComplaints - manifest.churn.observed_signal.churners.complaints_per_customer) < 1e-4, 'manifest: churner complaints');
    ok(Math.abs(stayerComplaints - manifest.churn.observed_signal.staying.complaints_per_customer) < 1e-4, 'manifest: staying complaints');
    ok(rate(lowCsat, true) >= 3 * rate(lowCsat, false), 'low CSAT before churn');

    const shop = byRef('shop');
    const orderDays = new Map<string, Set<string>>();
    for (const r of clean['transactions.csv']) {
      const person = shop.get(r.customer_ref);
      ok(person, `shop ref ${r.customer_ref}`);
      if (person.is_churner === '1') ok(r.order_date.slice(0, 10) < person.churn_date, `${person.person_id} bought on ${r.order_date} after churning on ${person.churn_date}`);
      (orderDays.get(person.person_id) ?? orderDays.set(person.person_id, new Set()).get(person.person_id)!).add(`${r.order_id} ${r.order_date}`);
    }
    let last90 = 0;
    let earlier90 = 0;
    for (const t of truth) {
      if (t.is_churner !== '1') continue;
      const churn = dayOf(t.churn_date)!;
      if (churn - 270 < dayOf(t.signup_date)!) continue;
      for (const o of orderDays.get(t.person_id) ?? []) {
        const d = dayOf(o.split(' ')[1])!;
        if (d >= churn - 90 && d < churn) last90++;
        else if (d >= churn - 270 && d < churn - 180) earlier90++;
      }
    }
    ok(last90 < 0.6 * earlier90, `orders 90 days before churn ${last90} vs days 180-270 before ${earlier90}`);

    // Fewer e-mail opens: campaign e-mails sent in the 180 days before churn (before today for the others).
    const emailCampaigns = new Set(readCsv(join(dirA, 'campaigns.csv')).rows.filter((r) => r.values.channel === 'email').map((r) => String(r.values.campaign_id)));
    const mail = { churners: { sent: 0, opened: 0 }, staying: { sent: 0, opened: 0 } };
    for (const r of clean['campaign_members.csv']) {
      if (!emailCampaigns.has(r.campaign_id) || r.source !== 'shop' || r.status === 'bounced') continue;
      const person = shop.get(r.customer_ref)!;
      const churner = person.is_churner === '1';
      const end = churner ? dayOf(person.churn_date)! : TODAY_DAY;
      const day = Math.floor(timeOf(r.added_at)! / 86_400);
      if (day < end - 180 || day >= end || end - 90 < dayOf(person.signup_date)!) continue;
      const m = churner ? mail.churners : mail.staying;
      m.sent++;
      if (r.status !== 'sent') m.opened++;
    }
    const openRate = (m: { sent: number; opened: number }): number => m.opened / m.sent;
    ok(openRate(mail.churners) < 0.8 * openRate(mail.staying), `open rates: churners ${openRate(mail.churners)}, staying ${openRate(mail.staying)}`);
    ok(Math.abs(openRate(mail.churners) - manifest.churn.observed_signal.churners.email_open_rate) < 1e-3, 'manifest: churner open rate');
  });

  it('puts churn events in the holdout windows and keeps active customers', () => {
    const churners = truth.filter((t) => t.is_churner === '1');
    const recent = churners.filter((t) => dayOf(t.churn_date)! >= TODAY_DAY - 180).length;
    ok(recent >= 0.25 * churners.length, `${recent} of ${churners.length} churn in the last 6 months`);
    for (const w of manifest.churn.evaluation_windows) {
      ok(w.planted_churn_within_90_days >= 0.05 * w.active_customers, `${w.cutoff}: ${w.planted_churn_within_90_days} of ${w.active_customers}`);
      ok(w.active_customers > 0.6 * manifest.churn.customers, `${w.cutoff}: ${w.active_customers} active`);
    }
  });
});

describe('demo generator: lost deals', () => {
  const lostShare = (deals: Record<string, string>[], reason: string): number => deals.filter((d) => d.loss_reason === reason).length / Math.max(1, deals.length);

  it('loss reasons correlate with competitor, product, deal size and owner', () => {
    const opps = clean['opportunities.csv'];
    const lost = opps.filter((o) => o.status === 'lost');
    ok(lost.length > 300, `${lost.length} lost deals`);
    ok(lost.every((o) => ['price', 'competitor', 'product_fit', 'timing', 'no_decision', 'support_experience'].includes(o.loss_reason)), 'every lost deal has a known reason');
    ok(opps.filter((o) => o.status !== 'lost').every((o) => o.loss_reason === ''), 'only lost deals have a loss reason');

    const acme = lost.filter((o) => o.competitor === 'Acme');
    const notAcme = lost.filter((o) => o.competitor !== 'Acme');
    ok(lostShare(acme, 'price') >= 2 * lostShare(notAcme, 'price'), `price: Acme ${lostShare(acme, 'price')} vs ${lostShare(notAcme, 'price')}`);

    const fitOut = lost.filter((o) => o.product === 'Office Fit-out');
    const otherProducts = lost.filter((o) => o.product !== 'Office Fit-out');
    ok(lostShare(fitOut, 'product_fit') >= 2 * lostShare(otherProducts, 'product_fit'), `product_fit: Office Fit-out ${lostShare(fitOut, 'product_fit')} vs ${lostShare(otherProducts, 'product_fit')}`);

    const weak = new Set<string>(manifest.opportunities.loss_model.multipliers.weak_owners.owners);
    ok(weak.size === 2, 'two weak owners');
    const weakLost = lost.filter((o) => weak.has(o.owner_id));
    const otherLost = lost.filter((o) => !weak.has(o.owner_id));
    ok(lostShare(weakLost, 'support_experience') >= 3 * lostShare(otherLost, 'support_experience'), `support_experience: weak owners ${lostShare(weakLost, 'support_experience')} vs ${lostShare(otherLost, 'support_experience')}`);
    ok(lostShare(weakLost, 'no_decision') >= 1.4 * lostShare(otherLost, 'no_decision'), `no_decision: weak owners ${lostShare(weakLost, 'no_decision')} vs ${lostShare(otherLost, 'no_decision')}`);
    const winRate = (ds: Record<string, string>[]): number => ds.filter((d) => d.status === 'won').length / ds.filter((d) => d.status !== 'open').length;
    ok(winRate(opps.filter((o) => weak.has(o.owner_id))) < winRate(opps.filter((o) => !weak.has(o.owner_id))) - 0.05, 'weak owners win less');

    // Deal size: rank each lost deal's amount (in EUR) within its product.
    const rates = manifest.currency_rates as Record<string, number>;
    const eur = (o: Record<string, string>): number => Number(o.amount) * rates[o.currency];
    const large: Record<string, string>[] = [];
    const small: Record<string, string>[] = [];
    for (const product of new Set(lost.map((o) => o.product))) {
      const ds = lost.filter((o) => o.product === product).sort((a, b) => eur(a) - eur(b));
      const q = Math.floor(ds.length / 4);
      small.push(...ds.slice(0, q));
      large.push(...ds.slice(ds.length - q));
    }
    ok(lostShare(large, 'price') >= 1.5 * lostShare(small, 'price'), `price: large ${lostShare(large, 'price')} vs small ${lostShare(small, 'price')}`);
  });

  it('keeps stage history consistent with created and closed dates', () => {
    const order = ['prospecting', 'qualification', 'proposal', 'negotiation'];
    for (const o of clean['opportunities.csv']) {
      const history = JSON.parse(o.stage_history) as { stage: string; entered_at: string }[];
      assert.equal(history[0].stage, 'prospecting', o.opportunity_id);
      assert.equal(history[0].entered_at, o.created_at, o.opportunity_id);
      for (let i = 1; i < history.length; i++) ok(history[i].entered_at >= history[i - 1].entered_at, o.opportunity_id);
      const last = history[history.length - 1];
      assert.equal(last.stage, o.stage, o.opportunity_id);
      if (o.status === 'open') {
        assert.equal(o.closed_at, '');
        ok(order.includes(o.stage), o.opportunity_id);
        ok(last.entered_at < TODAY, o.opportunity_id);
      } else {
        assert.equal(o.stage, o.status === 'won' ? 'closed_won' : 'closed_lost');
        assert.equal(last.entered_at, o.closed_at, o.opportunity_id);
        ok(o.closed_at < TODAY, o.opportunity_id);
        assert.deepEqual(history.slice(0, -1).map((h) => h.stage), order.slice(0, history.length - 1), o.opportunity_id);
      }
    }
    ok(clean['opportunities.csv'].some((o) => o.notes.includes('\n')), 'some notes span lines (quoted CSV)');
  });
});

describe('demo generator: identities and references', () => {
  const rules = (): Record<string, { calling_code: string; trunk_prefix: string }> => manifest.identity.phone_rules;

  function e164(raw: string, country: string): string | undefined {
    let s = raw.trim().replace(/\(0\)/g, '');
    if (!s) return undefined;
    s = s.replace(/[^\d+]/g, '');
    if (s.startsWith('+')) return s;
    if (s.startsWith('00')) return `+${s.slice(2)}`;
    const rule = rules()[country];
    if (rule.trunk_prefix && s.startsWith(rule.trunk_prefix)) s = s.slice(rule.trunk_prefix.length);
    return `+${rule.calling_code}${s}`;
  }

  it('duplicate records across shop, support and sales resolve to exactly the true customers', () => {
    const parent = new Map<string, string>();
    const find = (x: string): string => {
      let r = x;
      while (parent.get(r) !== r) r = parent.get(r)!;
      parent.set(x, r);
      return r;
    };
    const union = (a: string, b: string): void => {
      const [ra, rb] = [find(a), find(b)];
      if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
    };
    const byKey = new Map<string, string>();
    const records: string[] = [];
    let variedEmails = 0;
    let phoneOnly = 0;
    for (const file of ['customers_shop.csv', 'customers_support.csv', 'customers_sales.csv']) {
      for (const r of clean[file]) {
        const node = `${r.source}:${r.source_id}`;
        records.push(node);
        if (!parent.has(node)) parent.set(node, node);
        const keys: string[] = [];
        if (r.email) keys.push(`email:${r.email.trim().toLowerCase()}`);
        if (r.email && r.email !== r.email.trim().toLowerCase()) variedEmails++;
        if (r.phone) keys.push(`phone:${e164(r.phone, r.country)}`);
        if (r.phone && !r.email) phoneOnly++;
        if (r.external_ids) {
          for (const [source, id] of Object.entries(JSON.parse(r.external_ids) as Record<string, string>)) {
            const other = `${source}:${id}`;
            if (!parent.has(other)) parent.set(other, other);
            union(node, other);
          }
        }
        for (const k of keys) {
          const seen = byKey.get(k);
          if (seen) union(node, seen);
          else byKey.set(k, node);
        }
      }
    }
    const components = new Set(records.map(find));
    assert.equal(components.size, manifest.identity.expected_distinct_customers);
    ok(variedEmails > 100 && phoneOnly > 50, `${variedEmails} e-mails differ in case/space, ${phoneOnly} phone-only records`);

    // And they are the right groups: one person per component, one component per person.
    const personOf = new Map<string, string>();
    for (const t of truth) {
      for (const [source, id] of [['shop', t.shop_id], ['shop', t.shop_id_2], ['support', t.support_id], ['sales', t.sales_id]]) if (id) personOf.set(`${source}:${id}`, t.person_id);
    }
    const personsOfComponent = new Map<string, Set<string>>();
    for (const rec of records) {
      const set = personsOfComponent.get(find(rec)) ?? new Set<string>();
      set.add(personOf.get(rec)!);
      personsOfComponent.set(find(rec), set);
    }
    for (const set of personsOfComponent.values()) assert.equal(set.size, 1);
    ok(manifest.identity.second_shop_accounts > 0, 'some people have two shop accounts');
  });

  it('facts reference records of their own source, and owners exist', () => {
    const ids = (file: string): Set<string> => new Set(clean[file].map((r) => r.source_id));
    const bySource: Record<string, Set<string>> = { shop: ids('customers_shop.csv'), support: ids('customers_support.csv'), sales: ids('customers_sales.csv') };
    for (const r of clean['transactions.csv']) ok(r.source === 'shop' && bySource.shop.has(r.customer_ref), r.transaction_id);
    for (const r of clean['interactions.ndjson']) ok(bySource[r.source]?.has(r.customer_ref), r.interaction_id);
    for (const r of clean['opportunities.csv']) ok(r.source === 'sales' && bySource.sales.has(r.customer_ref), r.opportunity_id);
    for (const r of clean['campaign_members.csv']) ok(bySource[r.source]?.has(r.customer_ref), `${r.campaign_id} ${r.customer_ref}`);
    const interactionSources = new Set(clean['interactions.ndjson'].map((r) => r.source));
    assert.deepEqual([...interactionSources].sort(), ['sales', 'shop', 'support']);
    const owners = new Set(Array.from({ length: 12 }, (_, i) => `U-OWN-${String(i + 1).padStart(2, '0')}`));
    for (const r of clean['opportunities.csv']) ok(owners.has(r.owner_id), r.opportunity_id);
    for (const r of clean['customers_sales.csv']) ok(owners.has(r.owner_id), r.source_id);
    ok(clean['customers_shop.csv'].filter((r) => r.customer_type === 'business').every((r) => owners.has(r.owner_id)), 'business shop accounts have an owner');
  });

  it('writes every canonical key in each NDJSON interaction', () => {
    const keys = manifest.files['interactions.ndjson'].columns;
    for (const r of all['interactions.ndjson'].slice(0, 500)) assert.deepEqual(Object.keys(r.values), keys);
  });
});

describe('demo generator: scale and CLI', () => {
  it('parses scale names and customer counts', () => {
    const cases: [string, number][] = [['small', 2000], ['default', 20_000], ['bench', 500_000], ['50000', 50_000], ['100k', 100_000], ['1m', 1_000_000]];
    for (const [text, customers] of cases) assert.equal(parseScale(text).customers, customers, text);
    for (const bad of ['huge', '5', '-3', '10m']) assert.throws(() => parseScale(bad), /--scale/, bad);
  });

  it('prints help and rejects bad arguments', () => {
    const script = fileURLToPath(new URL('../../ingest/demo/cli.ts', import.meta.url));
    const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    const help = cli('--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /generate --out DIR/);
    const bad = cli('generate', '--out', join(root, 'x'), '--scale', 'huge');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--scale/);
    const badDay = cli('generate', '--out', join(root, 'x'), '--today', '2026-02-30');
    assert.equal(badDay.status, 2);
    assert.match(badDay.stderr, /--today/);
  });
});
