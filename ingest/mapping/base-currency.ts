import type { Mapping } from './mapping-file.ts';

/**
 * A mapping's `currency.base` against the product's one reporting currency (CRM_BASE_CURRENCY,
 * default EUR). The warehouse stores `amount` in the mapping's base, but every page, digest and
 * export labels amounts with CRM_BASE_CURRENCY: the CDNOW mapping (base USD) loaded under the
 * default showed its dollars as "€98.0k". A mismatch is refused before anything is written, with
 * the two ways out. Undefined when the mapping agrees or names no base (it then converts to the
 * configured one).
 */
export function baseCurrencyMismatch(
  mapping: Mapping,
  configured: string | undefined,
  path: string,
): string | undefined {
  const stated = mapping.currency?.base?.trim().toUpperCase();
  const reporting = configured?.trim().toUpperCase() || 'EUR';
  if (!stated || stated === reporting) return undefined;
  const setting = configured?.trim()
    ? `CRM_BASE_CURRENCY is ${reporting}`
    : `CRM_BASE_CURRENCY is unset, so ${reporting}`;
  return (
    `mapping ${path}: currency.base is ${stated}, but the dashboard, digests and exports show every amount in ${reporting} (${setting}); ` +
    `these amounts would be stored as ${stated} and labelled ${reporting}. ` +
    `Run this load and npm start with CRM_BASE_CURRENCY=${stated}, or remove currency.base and give currency.rates to convert into ${reporting}.`
  );
}
