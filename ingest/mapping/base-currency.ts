import type { Mapping } from './mapping-file.ts';

/**
 * A mapping's `currency.base` against the product's one reporting currency (CRM_BASE_CURRENCY,
 * default EUR). The warehouse stores `amount` in the mapping's base, but every page, digest and
 * export labels amounts with CRM_BASE_CURRENCY: the CDNOW mapping (base USD) loaded under the
 * default showed its dollars as "€98.0k". A mismatch is refused before anything is written, with
 * the two ways out. Undefined when the mapping agrees or names no base (it then converts to the
 * configured one). Once a load has written money the warehouse's recorded currency is the
 * reporting one and CRM_BASE_CURRENCY no longer chooses it.
 */
export function baseCurrencyMismatch(
  mapping: Mapping,
  configured: string | undefined,
  path: string,
  recorded?: string,
): string | undefined {
  const stated = mapping.currency?.base?.trim().toUpperCase();
  // The warehouse's recorded currency (lib/warehouse/reporting-currency.ts) once a load has written money.
  const kept = recorded?.trim().toUpperCase();
  const reporting = kept || configured?.trim().toUpperCase() || 'EUR';
  if (!stated || stated === reporting) return undefined;
  if (kept) {
    return (
      `mapping ${path}: currency.base is ${stated}, but this warehouse's amounts are in ${kept} (recorded by its first load); ` +
      `these amounts would be stored as ${stated} and labelled ${kept}. ` +
      `Remove currency.base and give currency.rates to convert into ${kept}, or load into a new data directory (CRM_DATA_DIR) to report in ${stated}.`
    );
  }
  const setting = configured?.trim()
    ? `CRM_BASE_CURRENCY is ${reporting}`
    : `CRM_BASE_CURRENCY is unset, so ${reporting}`;
  return (
    `mapping ${path}: currency.base is ${stated}, but the dashboard, digests and exports show every amount in ${reporting} (${setting}); ` +
    `these amounts would be stored as ${stated} and labelled ${reporting}. ` +
    `Run this load with CRM_BASE_CURRENCY=${stated} (the warehouse then records ${stated} and npm start shows it), or remove currency.base and give currency.rates to convert into ${reporting}.`
  );
}
