/**
 * Win/loss features (models/winloss/features.ts, load.ts's as-of view of a deal) on a hand-made
 * deal whose every number is worked out in the comments, and the leak test: touches, stages and
 * deals after a deal's cutoff change none of its features.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { disagreement } from '../../../models/winloss/causes.ts';
import {
  buildFeatures,
  DAY_SECONDS,
  ownFeatures,
  type DealRecord,
  type TouchRecord,
} from '../../../models/winloss/features.ts';
import { dayNumber, dealAsOf } from '../../../models/winloss/load.ts';
import { snapshotDeals, snapshotOf } from '../../../models/winloss/snapshots.ts';

const D0 = dayNumber('2025-01-01');
const at = (day: number, hours: number): number => (D0 + day) * DAY_SECONDS + hours * 3600;

function deal(over: Partial<DealRecord>): DealRecord {
  return {
    source: 'crm',
    opportunity_id: 'A',
    customer_id: 'C1',
    owner_id: 'O1',
    region: 'North',
    product: 'X',
    amount: 3000,
    status: 'lost',
    stage: 'closed_lost',
    stated_reason: 'price',
    competitor: '',
    created_day: D0,
    closed_day: D0 + 60,
    history: [
      { stage: 'prospecting', day: D0 },
      { stage: 'qualification', day: D0 + 10 },
      { stage: 'proposal', day: D0 + 25 },
      { stage: 'closed_lost', day: D0 + 60 },
    ],
    discount_pct: 12,
    lead_source: 'web',
    contacts_met: 1,
    ...over,
  };
}

const touches: TouchRecord[] = [
  { t: at(-5, 10), type: 'support_ticket', inbound: true }, // before the deal: not counted
  { t: at(5, 10), type: 'call', inbound: false },
  { t: at(20, 10), type: 'email_sent', inbound: true }, // answered 3 days later
  { t: at(23, 10), type: 'email_sent', inbound: false },
  { t: at(30, 10), type: 'email_sent', inbound: true }, // answered 12 hours later by a call
  { t: at(30, 22), type: 'call', inbound: false },
  { t: at(35, 9), type: 'meeting', inbound: false },
  { t: at(40, 9), type: 'complaint', inbound: true }, // 20 days before the close: in the 60-day window
  { t: at(50, 12), type: 'email_sent', inbound: true }, // unanswered before the close: 9.5 days, censored
];
const afterCutoff: TouchRecord[] = [
  { t: at(60, 1), type: 'meeting', inbound: false },
  { t: at(62, 10), type: 'email_sent', inbound: false },
  { t: at(70, 10), type: 'complaint', inbound: true },
];

describe('win/loss features of one deal', () => {
  test('stages, activity, gaps and reply delays as of the close, by hand', () => {
    const f = ownFeatures(deal({}), touches, D0 + 400);
    assert.equal(f.cutoff_day, D0 + 60);
    assert.equal(f.stage_count, 3);
    assert.equal(f.stage_at_cutoff, 'proposal');
    assert.equal(f.days_in_stage, 35); // proposal from day 25 to the close on day 60
    assert.equal(f.max_stage_days, 35);
    assert.equal(f.longest_stage, 'proposal');
    assert.equal(f.deal_days, 60);
    assert.equal(f.calls, 2);
    assert.equal(f.meetings, 1);
    assert.equal(f.days_since_meeting, 60 - 35 - 9 / 24);
    assert.equal(f.days_since_contact, 9.5); // the last e-mail in, day 50 at noon
    assert.equal(f.reply_delay_days, 3); // median of 3, 0.5 and 9.5
    assert.equal(f.tickets, 1);
    assert.equal(f.contacts_met, 1);
    assert.equal(f.discount_pct, 12);
  });

  test('leak test: nothing at or after the cutoff changes a feature', () => {
    const base = ownFeatures(deal({}), touches, D0 + 400);
    const later = [...touches, ...afterCutoff].sort((a, b) => a.t - b.t);
    const withStage = deal({ history: [...deal({}).history, { stage: 'negotiation', day: D0 + 61 }] });
    assert.deepEqual(ownFeatures(withStage, later, D0 + 400), base);
  });

  test('an open deal is measured up to the as-of day', () => {
    const open = deal({ status: 'open', stage: 'proposal', closed_day: null, history: deal({}).history.slice(0, 3) });
    const f = ownFeatures(open, touches, D0 + 45);
    assert.equal(f.cutoff_day, D0 + 45);
    assert.equal(f.days_in_stage, 20);
    assert.equal(f.reply_delay_days, 1.75); // only the answers of day 23 (3 days) and day 30 (0.5) before day 45: their median
    assert.equal(f.tickets, 1); // the complaint of day 40
  });
});

describe('features that depend on the other deals', () => {
  test("the account's earlier deals, the owner's open load and the product's typical amount", () => {
    const deals = [
      deal({}), // amount 3000, closes day 60
      deal({
        opportunity_id: 'B',
        amount: 1000,
        status: 'won',
        created_day: D0 - 100,
        closed_day: D0 - 50,
        history: [],
      }), // earlier, won
      deal({
        opportunity_id: 'L',
        amount: 500,
        status: 'lost',
        created_day: D0 + 10,
        closed_day: D0 + 65,
        history: [],
      }), // later, open at day 60
      deal({
        opportunity_id: 'C',
        customer_id: 'C2',
        amount: 2000,
        status: 'open',
        created_day: D0 + 40,
        closed_day: null,
        history: [],
      }), // open at day 60
      deal({
        opportunity_id: 'E',
        customer_id: 'C3',
        amount: 4000,
        status: 'open',
        created_day: D0 + 70,
        closed_day: null,
        history: [],
      }), // after day 60
    ];
    const [f] = buildFeatures(deals, new Map([['C1', touches]]), D0 + 400);
    assert.equal(f.prior_deals, 1);
    assert.equal(f.prior_won, 1);
    assert.equal(f.amount_vs_account, 3); // 3000 / the one earlier deal's 1000
    assert.equal(f.owner_open_deals, 2); // L and C were open on day 60
    assert.equal(f.amount_vs_product, 1.5); // 3000 / median(3000, 1000, 500, 2000, 4000)
  });
});

describe('a deal as of the as-of day', () => {
  const row = {
    source: 'crm',
    opportunity_id: 'A',
    customer_id: 'C1',
    owner_id: 'O1',
    region: '',
    product: 'X',
    amount: 10,
    stage: 'closed_lost',
    status: 'lost',
    loss_reason: 'price',
    competitor: '',
    created_at: '2025-01-01',
    closed_at: '2025-03-02',
    history: [
      ['prospecting', '2025-01-01'],
      ['proposal', '2025-02-01'],
      ['closed_lost', '2025-03-02'],
    ] as [string, string][],
    discount_pct: null,
    lead_source: '',
    contacts_met: null,
  };
  test('closed before it: as stored', () => {
    const d = dealAsOf(row, dayNumber('2025-06-01'));
    assert.deepEqual(
      [d.status, d.stage, d.stated_reason, d.closed_day],
      ['lost', 'closed_lost', 'price', dayNumber('2025-03-02')],
    );
  });
  test('closed on or after it: still open, at the stage it had, no stated reason yet', () => {
    const d = dealAsOf(row, dayNumber('2025-02-15'));
    assert.deepEqual([d.status, d.stage, d.stated_reason, d.closed_day], ['open', 'proposal', '', null]);
    assert.deepEqual(
      d.history.map((h) => h.stage),
      ['prospecting', 'proposal'],
    );
  });
});

describe('disagreement with the stated reason', () => {
  const cause = (feature: string, text: string) => ({ feature, text, effect: 0.2 });
  test('the top cause is not what the reason names', () => {
    assert.equal(
      disagreement('price', [
        cause('no_meeting_21d', 'no meeting in the 21 days before close (last one 34 days before)'),
      ]),
      'stated: price — data: no meeting in the 21 days before close (last one 34 days before)',
    );
    assert.equal(
      disagreement('support_experience', [cause('single_contact', 'met only one person at the customer')]),
      'stated: support experience — data: met only one person at the customer',
    );
  });
  test('agreement, no causes, or a reason we cannot read: no disagreement', () => {
    assert.equal(disagreement('price', [cause('large_deal', '€120,000, in the top quarter for X')]), '');
    assert.equal(disagreement('competitor', [cause('competitor=Acme', 'competitor Acme in the deal')]), '');
    assert.equal(disagreement('price', []), '');
    assert.equal(disagreement('reorganisation at HQ', [cause('no_meeting_21d', 'x')]), '');
  });
});

describe('snapshots of closed deals during their life (the open-deal model learns from them)', () => {
  test('the deal as it stood on a day: open, its stage then, only history and touches before it', () => {
    const s = snapshotOf(deal({}), D0 + 30);
    assert.deepEqual(
      [s.status, s.stage, s.closed_day, s.stated_reason, s.as_of_day],
      ['open', 'proposal', null, '', D0 + 30],
    );
    assert.deepEqual(
      s.history.map((h) => h.stage),
      ['prospecting', 'qualification', 'proposal'],
    );
    const f = ownFeatures(
      s,
      [...touches, ...afterCutoff].sort((a, b) => a.t - b.t),
      D0 + 400,
    );
    assert.equal(f.cutoff_day, D0 + 30);
    assert.equal(f.days_in_stage, 5); // proposal since day 25
    assert.equal(f.reply_delay_days, 3); // only the question of day 20 (answered on day 23) is before day 30
    assert.equal(f.meetings, 0); // the meeting of day 35 is after
  });

  test('two snapshots per closed deal inside its life, none of open deals, the same every time', () => {
    const deals = [
      deal({}),
      deal({ opportunity_id: 'O', status: 'open', closed_day: null }),
      deal({ opportunity_id: 'S', closed_day: D0 + 1 }),
    ];
    const a = snapshotDeals(deals);
    assert.deepEqual(a.origin, [0, 0]); // the open deal and the one-day deal have none
    for (const s of a.snapshots) assert.ok(s.as_of_day! > D0 && s.as_of_day! < D0 + 60, String(s.as_of_day));
    assert.deepEqual(
      snapshotDeals(deals).snapshots.map((s) => s.as_of_day),
      a.snapshots.map((s) => s.as_of_day),
    );
  });
});

describe('owner load and account history of a snapshot count the real deals, not the snapshot twice', () => {
  test('a snapshot does not count its own deal as another open deal of the owner', () => {
    const real = [
      deal({}),
      deal({
        opportunity_id: 'C',
        customer_id: 'C2',
        amount: 2000,
        status: 'open',
        created_day: D0 + 5,
        closed_day: null,
        history: [],
      }),
    ];
    const [f] = buildFeatures([snapshotOf(real[0], D0 + 30)], new Map(), D0 + 400, real);
    assert.equal(f.owner_open_deals, 1); // C only
    assert.equal(f.cutoff_day, D0 + 30);
  });
});
