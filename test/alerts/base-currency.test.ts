import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadAlertsConfig } from '../../alerts/config.ts';
import { valueAtRiskNote } from '../../alerts/digest.ts';

// Issue 15: digests defaulted to EUR whatever CRM_BASE_CURRENCY said.
test('the alerts configuration carries CRM_BASE_CURRENCY to the digests; EUR when unset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alerts-currency-'));
  try {
    const usd = loadAlertsConfig(dir, { CRM_BASE_CURRENCY: 'usd' });
    assert.deepEqual(usd.format, { locale: 'en-GB', currency: 'USD' });
    const item = { valueAtRisk: 0.5 * 58_086, valueBasis: 'clv_12m' as const, probability: 0.5 };
    // The note names the 12-month CLV behind the value at risk: 29,043 / 0.5.
    assert.equal(valueAtRiskNote(item, usd.format), 'churn probability × 12-month CLV of $58,086');
    assert.doesNotMatch(valueAtRiskNote(item, usd.format), /€/);
    assert.deepEqual(loadAlertsConfig(dir, {}).format, { locale: 'en-GB', currency: 'EUR' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
