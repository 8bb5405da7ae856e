import { describe, expect, test } from 'vitest';
import { FEW, overWonDeals, repeatBase, retentionBase, retentionComparisonNotice, winRateBase } from './rate-base.ts';

describe('the count behind a rate', () => {
  test('won of closed deals, the closed count being won + lost (as the win rate divides)', () => {
    // 30 won, 90 lost: win rate 30 / 120 = 25% rests on 120 closed deals.
    expect(winRateBase('30', '90')).toBe('30 won of 120 closed deals');
    expect(winRateBase(1200, 34)).toBe('1,200 won of 1,234 closed deals');
  });

  test(`fewer than ${FEW} closed deals: said to be too few to compare`, () => {
    expect(FEW).toBe(10);
    expect(winRateBase(1, 0)).toBe('1 won of 1 closed deal (too few to compare)');
    expect(winRateBase(3, 6)).toBe('3 won of 9 closed deals (too few to compare)');
    expect(winRateBase(3, 7)).toBe('3 won of 10 closed deals');
  });

  test('none closed, or no counts in the answer', () => {
    expect(winRateBase(0, 0)).toBe('no deal won or lost in the period');
    expect(winRateBase(undefined, 3)).toBeUndefined();
    expect(winRateBase('', '')).toBeUndefined();
  });

  test('an average over won deals says over how many', () => {
    expect(overWonDeals('12')).toBe('over 12 won deals');
    expect(overWonDeals(1)).toBe('over 1 won deal (too few to compare)');
    expect(overWonDeals(0)).toBe('no deal won in the period');
    expect(overWonDeals(null)).toBeUndefined();
  });

  test("retention says how many of the previous period's customers it rests on", () => {
    // 120 retained of 300 active before: 40%.
    expect(retentionBase('120', '300')).toBe('120 of 300 customers active before');
    expect(retentionBase(2, 3)).toBe('2 of 3 customers active before (too few to compare)');
    expect(retentionBase(0, 0)).toBe('no customer active in the previous period');
    expect(retentionBase(undefined, 5)).toBeUndefined();
  });

  // CDNOW's default period, 1 Jul 1997 – 30 Jun 1998: retention's base is the 12 months before it,
  // of which the data (from 1 Jan 1997) holds six; the card said "812 of 2,357 customers active
  // before" as if of a whole year. A base period wholly before the data said "no customer active".
  test('a previous period the data covers only in part, or not at all, says so', () => {
    const year = { from: '1997-07-01', to: '1998-06-30' };
    expect(retentionBase(812, 2357, year, '1997-01-01')).toBe(
      '812 of 2,357 customers active before; the previous period (1 Jul 1996 – 30 Jun 1997) has data from 1 Jan 1997 only',
    );
    expect(retentionBase(0, 0, { from: '1997-03-01', to: '1997-03-31' }, '1997-03-10')).toBe(
      'no data in the previous period (1 Feb 1997 – 28 Feb 1997): the data starts 10 Mar 1997',
    );
    // Covered from its first day: nothing added.
    expect(retentionBase(120, 300, year, '1996-07-01')).toBe('120 of 300 customers active before');
    expect(retentionBase(120, 300, year, undefined)).toBe('120 of 300 customers active before');
  });
});

describe('the repeat-purchase rate names its base', () => {
  test.each([
    ['812', '812', '812 of 812 buying customers had bought before'],
    [3, 4, '3 of 4 buying customers had bought before (too few to compare)'],
    [0, 0, 'no customer bought in the period'],
    [null, 5, undefined],
  ] as const)('%j returning of %j active → %j', (r, a, want) => {
    expect(repeatBase(r, a)).toBe(want);
  });
});

// Session 13 (CDNOW sweep): year to date to 30 Jun 1998 read "322 of 619 customers active before"
// (July – December's) under "compared with 1 Jan 1997 – 30 Jun 1997", and its comparison "—" without a reason.
describe('retention year to date on a month end', () => {
  const ytd = { from: '1998-01-01', to: '1998-06-30', period: 'year_to_date' as const };
  test('the base named is the same days a year earlier, partial when the data starts inside it', () => {
    expect(retentionBase(515, 2357, ytd, '1997-01-01')).toBe('515 of 2,357 customers active before');
    expect(retentionBase(515, 2357, ytd, '1997-02-01')).toBe(
      '515 of 2,357 customers active before; the previous period (1 Jan 1997 – 30 Jun 1997) has data from 1 Feb 1997 only',
    );
  });
  test('a comparison whose own base has no data says why', () => {
    expect(retentionComparisonNotice({ from: '1997-01-01', to: '1997-06-30' }, 'year_to_date', '1997-01-01')).toBe(
      "No data before 1 Jan 1997: the comparison's customers active before (1 Jan 1996 – 30 Jun 1996) are unknown",
    );
    expect(
      retentionComparisonNotice({ from: '1997-07-01', to: '1997-12-31' }, 'last_6_full_months', '1997-01-01'),
    ).toBeUndefined();
    expect(retentionComparisonNotice(undefined, 'year_to_date', '1997-01-01')).toBeUndefined();
  });
});
