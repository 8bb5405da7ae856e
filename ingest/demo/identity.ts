import { COUNTRIES } from './catalog.ts';
import type { Phone } from './person.ts';
import { Choice } from './random.ts';

/**
 * How one person's contact data differs between the shop, the support desk and sales: e-mail case
 * and white space, phone number formats. Identity resolution must see through exactly these.
 */
export type EmailStyle = 'canonical' | 'capitalized' | 'upper' | 'padded' | 'mixed_domain';
export type PhoneStyle = 'international' | 'national' | 'double_zero' | 'trunk_in_parens' | 'dashed';

const capitalize = (s: string): string => s.replace(/(^|[.-])([a-z])/g, (_, sep: string, c: string) => sep + c.toUpperCase());

export function formatEmail(email: string, style: EmailStyle): string {
  const at = email.indexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  switch (style) {
    case 'canonical': return email;
    case 'capitalized': return `${capitalize(local)}@${domain}`;
    case 'upper': return email.toUpperCase();
    case 'padded': return ` ${email}  `;
    case 'mixed_domain': return `${capitalize(local)}@${capitalize(domain)}`;
  }
}

export function emailStyles(weights: Readonly<Partial<Record<EmailStyle, number>>>): Choice<EmailStyle> {
  const entries = Object.entries(weights) as [EmailStyle, number][];
  return new Choice(entries.map((e) => e[0]), entries.map((e) => e[1]));
}

/** "+49 30 1234567", "030 1234567", "0049301234567", "+49 (0)30 1234567", "+49-30-1234567". */
export function formatPhone(p: Phone, style: PhoneStyle): string {
  switch (style) {
    case 'international': return `+${p.cc} ${p.area} ${p.sub}`;
    case 'national': return `${p.trunk}${p.area} ${p.sub}`;
    case 'double_zero': return `00${p.cc}${p.area}${p.sub}`;
    case 'trunk_in_parens': return p.trunk ? `+${p.cc} (${p.trunk})${p.area} ${p.sub}` : `+${p.cc} ${p.area} ${p.sub.slice(0, 3)} ${p.sub.slice(3)}`;
    case 'dashed': return `+${p.cc}-${p.area}-${p.sub}`;
  }
}

export const e164 = (p: Phone): string => `+${p.cc}${p.area}${p.sub}`;

/** What a phone normaliser needs per country (written to the manifest for the ingest side). */
export const PHONE_RULES = Object.fromEntries(COUNTRIES.map((c) => [c.code, { calling_code: c.callingCode, trunk_prefix: c.trunk }]));
