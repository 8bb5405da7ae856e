import { describe, expect, test } from 'vitest';
import { noClosedDealsCard, noClosedDealsText, noDeals, noDealsCard, noDealsText } from './no-deals.ts';

describe('noDeals: whether the deal figures rest on any deal', () => {
  test.each([
    // closed-deal start rows, open deals, expected
    [[], 0, true], // a purchase log alone (CDNOW): no deal ever closed, none open
    [[], '0', true],
    [[], null, true], // a sum over no rows
    [[{ 'pipeline.closed_at.day': '2025-01-03T00:00:00.000' }], 0, false], // closed deals, none open
    [[], 3, false], // open deals only
    [undefined, 0, undefined], // still loading
    [[], undefined, undefined],
  ] as const)('closed %j, open %j → %j', (closed, open, want) => {
    expect(noDeals(closed as never, open)).toBe(want);
  });

  test('says "loaded" only when nothing narrows the view', () => {
    expect(noDealsCard(false)).toBe('no deals loaded');
    expect(noDealsCard(true)).toBe('no deals in this view');
    expect(noDealsText(false)).toMatch(/^No deals loaded: .*npm run ingest -- opportunities/);
    expect(noDealsText(true)).toMatch(/^No deals in this view: /);
    expect(noClosedDealsText(false)).toMatch(/^No deals loaded: /);
    expect(noClosedDealsText(true)).toMatch(/^No closed deals in this view: /);
  });

  test('a lost-orders card without closed deals says why instead of "0" and "$0"', () => {
    // CDNOW on /lost-orders: "Lost deals 0", "Lost value $0" under a banner saying no deals are loaded.
    expect(noClosedDealsCard(false)).toBe('no deals loaded');
    expect(noClosedDealsCard(true)).toBe('no closed deals in this view');
  });
});
