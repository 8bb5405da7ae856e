/**
 * The base currency (CRM_BASE_CURRENCY) applies from the process's first request: it is set with
 * the web context, before any page renders. Before, only the root layout set it, so a page's server
 * load, an export or a data request answered before any page had rendered formatted amounts in EUR.
 * The server process holds two copies of the formatters (web/server.ts's and the built bundle's):
 * a fresh import stands for the bundle's copy.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { setWebContext, type WebContext } from '../server/context.ts';
import { formatCurrency, formatContext } from './format.ts';

const usd = { format: { locale: 'en-GB', currency: 'USD' } } as unknown as WebContext;

afterEach(() => setWebContext(undefined));

describe('base currency from the first request', () => {
  test('setting the web context sets the currency of every formatter, with no page rendered', () => {
    setWebContext(usd);
    expect(formatContext().currency).toBe('USD');
    // 1234.4 in whole dollars, narrow symbol: "$1,234".
    expect(formatCurrency(1234.4)).toBe('$1,234');
    expect(formatCurrency(14_600_000, { compact: true })).toBe('$14.6m');
  });

  test("another copy of the module (the built bundle's) sees the same currency", async () => {
    setWebContext(usd);
    vi.resetModules();
    const bundled = await import('./format.ts');
    expect(bundled.formatCurrency(58_086)).toBe('$58,086');
  });

  test('without a configured currency, and after the context is cleared: EUR', () => {
    setWebContext({ format: undefined } as unknown as WebContext);
    expect(formatCurrency(58_086)).toBe('€58,086');
    setWebContext(usd);
    setWebContext(undefined);
    expect(formatCurrency(58_086)).toBe('€58,086');
  });
});
