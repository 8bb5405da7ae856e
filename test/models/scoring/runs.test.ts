/**
 * The pure parts of scoring runs (models/scoring/runs.ts): run ids, and when a `running` run is
 * taken as dead (its process on this host is gone, or no heartbeat for the stale time).
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, test } from 'node:test';
import { deadReason, isRunId, newRunId, STALE_AFTER_MS, type ModelRunRecord } from '../../../models/scoring/runs.ts';

const record = (over: Partial<ModelRunRecord>): ModelRunRecord => ({
  run_id: 'run-20250101-20250102T030405006-abcdef',
  status: 'running',
  phase: 'churn-scored',
  as_of: '2025-01-01',
  started_at: '2025-01-02T03:04:05.006Z',
  updated_at: '2025-01-02T03:04:05.006Z',
  churn_model_version: '',
  clv_model_version: '',
  churn_customers: 0,
  clv_customers: 0,
  host: hostname(),
  pid: 999_999,
  retry_of: '',
  detail: '',
  ...over,
});

describe('run ids', () => {
  test('as-of day, start time to the millisecond (UTC) and 6 random hex digits; only such ids pass isRunId', () => {
    const id = newRunId('2025-01-01', new Date('2025-01-02T03:04:05.006Z'));
    assert.match(id, /^run-20250101-20250102T030405006-[0-9a-f]{6}$/);
    assert.ok(isRunId(id));
    assert.notEqual(newRunId('2025-01-01', new Date(0)), newRunId('2025-01-01', new Date(0)));
    for (const bad of ["run-20250101-20250102T030405006-abcdef' OR 1", 'churn-20250101-x-0f0f', '']) assert.equal(isRunId(bad), false, bad);
    assert.throws(() => newRunId('1 Jan 2025'), /not a YYYY-MM-DD day/);
  });
});

describe('when a running run is dead', () => {
  const now = new Date('2025-01-02T03:10:00.000Z');
  test('its process on this host is gone', () => {
    assert.match(deadReason(record({}), { now, pidAlive: () => false }) ?? '', /process 999999 on .* is gone/);
    assert.equal(deadReason(record({}), { now, pidAlive: () => true }), undefined);
  });

  test('another host: only by silence longer than the stale time', () => {
    const other = record({ host: `not-${hostname()}` });
    assert.equal(deadReason(other, { now, pidAlive: () => false }), undefined);
    const later = new Date(Date.parse(other.updated_at) + STALE_AFTER_MS + 60_000);
    assert.match(deadReason(other, { now: later }) ?? '', /no heartbeat from .* for 11 min/);
  });

  test('a run of this very process, or one that is not running, is never dead', () => {
    assert.equal(deadReason(record({ pid: process.pid }), { now, pidAlive: () => false }), undefined);
    for (const status of ['published', 'failed', 'interrupted'] as const) assert.equal(deadReason(record({ status }), { now: new Date(8.64e15), pidAlive: () => false }), undefined);
  });
});
