/**
 * A measure's unit in words for the Definitions page. Amounts name the base currency itself
 * (CRM_BASE_CURRENCY, e.g. "amount in EUR"): "the base currency" left the reader to guess which.
 */
import { formatContext } from './format.ts';

const WORDS: Record<string, string> = { percent: 'share, shown as a percentage', number: 'count or number', quantity: 'units, hours or weight (decimals where the data has them)', days: 'days' };

export function formatWords(format: string, currency: string = formatContext().currency): string {
  if (format === 'currency') return `amount in ${currency} (the base currency)`;
  return WORDS[format] ?? format;
}
