import {
  ACQUISITION, CATEGORIES, CATEGORY_WEIGHTS, CHANNEL_WEIGHTS, CHANNELS, COMPANY_TRADES, COMPANY_WORDS, COUNTRIES,
  EMAIL_DOMAINS, type Channel, type City, type Country, type DemoUser,
} from './catalog.ts';
import { Choice, type Random } from './random.ts';
import type { World } from './world.ts';

export interface Phone {
  cc: string;
  trunk: string;
  area: string;
  /** Seven digits. */
  sub: string;
}

export type ChurnArchetype = 'dissatisfied' | 'silent';

/**
 * A planted churner: purchases thin out from `driftStart` and stop at `day` (no purchase on or after
 * it). "dissatisfied" churners also complain and rate support badly in the drift; "silent" ones
 * just fade (fewer visits, fewer e-mail opens).
 */
export interface ChurnPlan {
  day: number;
  driftStart: number;
  archetype: ChurnArchetype;
}

export interface Person {
  index: number;
  id: string;
  type: 'person' | 'business';
  /** A business known to sales only: no shop account, no orders. */
  prospect: boolean;
  country: Country;
  city: City;
  /** Name of the human (for a business: the contact). */
  contact: string;
  /** Display name: the person, or the company. */
  name: string;
  company: string;
  email: string;
  phone: Phone;
  /** Shop registration (prospects: the day sales created the account). */
  signupDay: number;
  /** Sales account creation (businesses). */
  accountDay: number;
  acquisition: string;
  owner: DemoUser | undefined;
  /** Orders per year while fully active. */
  rate: number;
  /** Probability of opening a campaign e-mail while fully engaged. */
  engagement: number;
  emailOptIn: boolean;
  bouncing: boolean;
  categories: Choice<number>;
  favourite: number;
  primaryChannel: Channel;
  churn: ChurnPlan | undefined;
  /** A non-churner's bad patch: complaints around this day, no leaving (noise for the model). */
  episodeDay: number | undefined;
  /** Whether the shop record carries the phone number (else support must carry the e-mail). */
  shopHasPhone: boolean;
}

const BUSINESS_SHARE = 0.15;
const PROSPECT_SHARE = 0.1;
export const CHURN_PROBABILITY = 0.31;
const MIN_TENURE_BEFORE_CHURN = 150;
/** Share of churn dates put in the last year, so evaluation windows near today have positives. */
const RECENT_CHURN_SHARE = 0.55;
const EPISODE_SHARE = 0.12;

const countryChoice = new Choice(COUNTRIES, COUNTRIES.map((c) => c.weight));
const cityChoices = new Map(COUNTRIES.map((c) => [c.code, new Choice(c.cities, c.cities.map((x) => x.weight))]));
const channelChoice = {
  person: new Choice(CHANNELS, CHANNEL_WEIGHTS.person),
  business: new Choice(CHANNELS, CHANNEL_WEIGHTS.business),
};
const acquisitionChoice = {
  person: new Choice(ACQUISITION.person.map((a) => a[0]), ACQUISITION.person.map((a) => a[1])),
  business: new Choice(ACQUISITION.business.map((a) => a[0]), ACQUISITION.business.map((a) => a[1])),
};

/** Bijections of the index mod 10^7 (multipliers coprime to 10): unique phones and e-mails, no lookups. */
export const phoneNumberOf = (index: number): number => (index * 3_456_789 + 1_234_567) % 10_000_000;
const emailSuffixOf = (index: number): number => (index * 7_654_321 + 98_765) % 10_000_000;

const TRANSLIT: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue', ß: 'ss', å: 'aa', ø: 'oe', æ: 'ae' };

/** "Jürgen O'Brien-Núñez" → "juergenobriennunez" (what a person would type into an e-mail address). */
export function asciiSlug(text: string): string {
  let slug = slugs.get(text);
  if (slug === undefined) {
    slug = slugify(text);
    slugs.set(text, slug);
  }
  return slug;
}

/** Names come from small lists, so slugs are computed once per name. */
const slugs = new Map<string, string>();

function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[äöüßåøæ]/g, (c) => TRANSLIT[c])
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]/g, '');
}

export function makePerson(world: World, rng: Random, index: number, ordersPerYear: number): Person {
  const { today, start } = world;
  const type = rng.chance(BUSINESS_SHARE) ? 'business' : 'person';
  const prospect = type === 'business' && rng.chance(PROSPECT_SHARE);
  const country = countryChoice.pick(rng);
  const city = cityChoices.get(country.code)!.pick(rng);
  const first = rng.pick(country.names.first);
  const last = rng.pick(country.names.last);
  const contact = `${first} ${last}`;
  let company = '';
  let domain = rng.pick(EMAIL_DOMAINS);
  if (type === 'business') {
    const word = rng.pick(COMPANY_WORDS);
    const trade = rng.pick(COMPANY_TRADES);
    company = `${word} ${trade} ${rng.pick(country.legalForms)}`;
    domain = `${asciiSlug(word)}-${asciiSlug(trade)}.example`;
  }
  const email = `${asciiSlug(first)}.${asciiSlug(last)}${emailSuffixOf(index)}@${domain}`;
  const phone: Phone = { cc: country.callingCode, trunk: country.trunk, area: city.area, sub: String(phoneNumberOf(index)).padStart(7, '0') };

  // Registrations: a migrated base in the first two months, then growth weighted to recent years.
  const span = today - 20 - (start + 60);
  const signupDay = prospect
    ? start + Math.floor(rng.float() * (today - 30 - start))
    : rng.chance(0.3)
      ? start + Math.floor(rng.float() * 60)
      : start + 60 + Math.floor(Math.pow(rng.float(), 0.8) * span);
  const accountDay = type === 'business' && !prospect ? Math.max(start - 60, signupDay - rng.int(0, 60)) : signupDay;

  const business = type === 'business';
  const rate = Math.min(60, Math.max(1.5, rng.gamma(2.5, (ordersPerYear * (business ? 1.3 : 1)) / 2.5)));
  const weights = CATEGORY_WEIGHTS[type].slice();
  const favourite = rng.weighted(weights);
  weights[favourite] *= 4;
  const second = rng.weighted(weights);
  weights[second] *= 2;

  let churn: ChurnPlan | undefined;
  let episodeDay: number | undefined;
  const lo = signupDay + MIN_TENURE_BEFORE_CHURN;
  const hi = today - 14;
  if (!prospect && rng.chance(CHURN_PROBABILITY) && lo <= hi) {
    const recentLo = Math.max(lo, today - 365);
    const day = rng.chance(RECENT_CHURN_SHARE) || lo >= today - 365 ? rng.int(recentLo, hi) : rng.int(lo, today - 366);
    const driftStart = Math.max(signupDay + 30, day - rng.int(90, 180));
    churn = { day, driftStart, archetype: rng.chance(0.6) ? 'dissatisfied' : 'silent' };
  } else if (!prospect && rng.chance(EPISODE_SHARE) && signupDay + 30 < today - 1) {
    episodeDay = rng.int(signupDay + 30, today - 1);
  }

  const owners = world.ownersByRegion.get(country.region)!;
  return {
    index,
    id: `P-${String(index + 1).padStart(7, '0')}`,
    type,
    prospect,
    country,
    city,
    contact,
    name: business ? company : contact,
    company,
    email,
    phone,
    signupDay,
    accountDay,
    acquisition: acquisitionChoice[type].pick(rng),
    owner: business ? owners[rng.int(0, owners.length - 1)] : undefined,
    rate,
    engagement: rng.beta(2, 3),
    emailOptIn: rng.chance(0.8),
    bouncing: rng.chance(0.015),
    categories: new Choice(CATEGORIES.map((_, i) => i), weights),
    favourite,
    primaryChannel: channelChoice[type].pick(rng),
    churn,
    episodeDay,
    shopHasPhone: rng.chance(0.85),
  };
}

export const channelMix = channelChoice;

/** How much of the normal purchase rate is left on `day` (1 = normal, 0 = gone). */
export function purchaseFactor(p: Person, day: number): number {
  const c = p.churn;
  if (!c || day < c.driftStart) return 1;
  if (day >= c.day) return 0;
  return 1 - (0.85 * (day - c.driftStart)) / Math.max(1, c.day - c.driftStart);
}

/** How engaged the customer still is (e-mail opens, web visits): fades in the drift, ~gone after. */
export function engagementFactor(p: Person, day: number): number {
  const c = p.churn;
  if (!c || day < c.driftStart) return 1;
  if (day >= c.day) return 0.08;
  return 1 - (0.75 * (day - c.driftStart)) / Math.max(1, c.day - c.driftStart);
}

export function inDissatisfiedDrift(p: Person, day: number): boolean {
  const c = p.churn;
  return !!c && c.archetype === 'dissatisfied' && day >= c.driftStart && day < c.day;
}
