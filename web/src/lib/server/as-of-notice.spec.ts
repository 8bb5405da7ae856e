import { describe, expect, test } from 'vitest';
import { asOfNotice, todayUtc } from './cube.ts';

describe('asOfNotice: the line every page shows when the data is not as of today', () => {
  test('none when the as-of date is today', () => {
    expect(asOfNotice('2026-12-06', '2026-12-06')).toBeUndefined();
  });
  test('old data (CDNOW ends 1998-06-30) names the as-of date and today', () => {
    const n = asOfNotice('1998-06-30', '2026-12-06');
    expect(n).toMatch(/^Data as of 30 Jun 1998: /);
    expect(n).toContain('not as of today (6 Dec 2026)');
  });
  test('a configured as-of date after today is said too', () => {
    expect(asOfNotice('2027-01-01', '2026-12-06')).toMatch(/^Data as of 1 Jan 2027/);
  });
  test('todayUtc is the UTC day of the instant given', () => {
    expect(todayUtc(new Date('2026-12-06T23:59:59-05:00'))).toBe('2026-12-07');
  });
});
