import { describe, expect, test } from 'vitest';
import { churnIntro, churnWindow, expectedChurnersNote, pAliveNote } from './churn-horizon.ts';

describe('the churn page names the model horizon', () => {
  test('the window comes from the model card: 90 days (the default), 180 when trained so', () => {
    expect(churnWindow(90)).toBe("no completed purchase in the 90 days after the scores' as-of day");
    expect(churnWindow(180)).toBe("no completed purchase in the 180 days after the scores' as-of day");
    expect(churnWindow(1)).toBe("no completed purchase in the 1 day after the scores' as-of day");
  });

  test('the intro says what leaving means, then the scores day', () => {
    expect(churnIntro(90, ' (scores as of 30 Jun 1998)')).toBe(
      "Customers the churn model expects to leave (no completed purchase in the 90 days after the scores' as-of day), why, and what they are worth (scores as of 30 Jun 1998).",
    );
  });

  test('without a model card (or a nonsense horizon) nothing is claimed', () => {
    for (const h of [undefined, 0, -5, Number.NaN]) {
      expect(churnWindow(h)).toBeUndefined();
      expect(expectedChurnersNote(h)).toBe('sum of probabilities');
    }
    expect(churnIntro(undefined, '')).toBe('Customers the churn model expects to leave, why, and what they are worth.');
  });

  // Session 13 (CDNOW): "next 90 days" under scores as of 30 Jun 1998 read as the coming quarter.
  test("the expected churners note names the window, from the scores' as-of day", () => {
    expect(expectedChurnersNote(90)).toBe("sum of probabilities, 90 days after the scores' as-of day");
    expect(expectedChurnersNote(1)).toBe("sum of probabilities, 1 day after the scores' as-of day");
  });
});

// Numbers a user could misread, ninth pass (2026-12-07): the 360 showed "P(alive) 86.9% · BG/NBD"
// beside "Churn probability 50.1%" (CDNOW, C-TEE0Y17H63VQ): 86.9 + 50.1 > 100, read as one event.
describe('the P(alive) card says which event it is the chance of', () => {
  test('not stopping for good, not buying in the horizon', () => {
    expect(pAliveNote(90)).toBe(
      "chance they have not stopped buying for good (BG/NBD); not of buying in the 90 days after the scores' as-of day",
    );
    expect(pAliveNote(1)).toBe(
      "chance they have not stopped buying for good (BG/NBD); not of buying in the 1 day after the scores' as-of day",
    );
  });
  test('without a model card it still says it is not the churn probability', () => {
    expect(pAliveNote(undefined)).toBe(
      'chance they have not stopped buying for good (BG/NBD); not the churn probability',
    );
  });
});
