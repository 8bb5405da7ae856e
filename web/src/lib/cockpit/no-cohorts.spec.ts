import { describe, expect, test } from 'vitest';
import { noCohortsText } from './no-cohorts.ts';

describe('noCohortsText', () => {
  test.each([
    // CDNOW: data from 1 Jan 1997, the default period from 1 Jul 1997.
    ['1997-07-01', '1997-01-01', "No cohorts start in this period: every customer who bought in it had first bought before 1 Jul 1997. Start the period on 1 Jan 1997 (the data's first day) to see their cohorts."],
    ['1997-01-01', '1997-01-01', 'No cohorts start in this period.'],
    ['1997-07-01', undefined, 'No cohorts start in this period.'],
  ])('from %s, data from %s', (from, start, want) => {
    expect(noCohortsText(from, start)).toBe(want);
  });
});
