import { DAY, type Calendar } from './calendar.ts';
import { Random } from './random.ts';

/**
 * Consent events of a demo customer (issue 16, item 1), from a random stream of their own so the
 * rest of the world (orders, touches, deals, every planted truth) is byte for byte what it was.
 * Rates, so segments show both consented and excluded customers:
 *
 *   marketing_email  granted at sign-up by 70%; a fifth of those unsubscribe later (email_link)
 *   marketing_sms    granted at sign-up by 25%
 *   profiling        withdrawn by 5% (phone), on a day between sign-up and today
 *
 * Events name the customer by their first record (shop, else support, else sales), the way a
 * preference centre would know them.
 */
export const CONSENT_COLUMNS = [
  'source',
  'consent_id',
  'customer_ref',
  'purpose',
  'status',
  'occurred_at',
  'channel',
  'evidence',
] as const;

/** Not one of random.ts's streams (customers 1, campaigns 2): consent draws never shift theirs. */
const CONSENT_STREAM = 16;

export const CONSENT_RATES = {
  emailGranted: 0.7,
  emailWithdrawnOfGranted: 0.2,
  smsGranted: 0.25,
  profilingWithdrawn: 0.05,
} as const;

export function consentRows(
  cal: Calendar,
  seed: number,
  index: number,
  ref: { source: string; id: string },
  signupDay: number,
  today: number,
): string[][] {
  const rng = new Random(seed, CONSENT_STREAM, index);
  const rows: string[][] = [];
  let n = 0;
  const at = (day: number): string => cal.dateTime(day * DAY + rng.int(8 * 3600, 20 * 3600));
  const later = (): number => rng.int(Math.min(signupDay + 1, today - 1), today - 1);
  const add = (purpose: string, status: string, when: string, channel: string): void => {
    n += 1;
    rows.push([ref.source, `CN-${ref.id}-${n}`, ref.id, purpose, status, when, channel, `${channel}-${ref.id}-${n}`]);
  };
  if (rng.chance(CONSENT_RATES.emailGranted)) {
    add('marketing_email', 'granted', at(signupDay), 'web_form');
    if (rng.chance(CONSENT_RATES.emailWithdrawnOfGranted))
      add('marketing_email', 'withdrawn', at(later()), 'email_link');
  }
  if (rng.chance(CONSENT_RATES.smsGranted)) add('marketing_sms', 'granted', at(signupDay), 'web_form');
  if (rng.chance(CONSENT_RATES.profilingWithdrawn)) add('profiling', 'withdrawn', at(later()), 'phone');
  return rows;
}
