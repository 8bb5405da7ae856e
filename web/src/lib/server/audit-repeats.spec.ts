import { expect, test } from 'vitest';
import type { DashboardAuditEntry } from './audit.ts';
import { AuditRepeats } from './audit-repeats.ts';

const t0 = 1_000_000;
const W = 600_000;
const ann = { sub: 'U-ANN', role: 'owner' as const };
const bob = { sub: 'U-BOB', role: 'owner' as const };
const token: DashboardAuditEntry = { action: 'token.issue', targetKind: 'token', targetIds: ['U-ANN'], outcome: 'ok', detail: 'dashboard, 15 minutes' };
const view = (id: string, outcome: 'ok' | 'denied' = 'ok'): DashboardAuditEntry => ({ action: 'customer.view', targetKind: 'customer', targetIds: [id], outcome, detail: '' });

test('the same action and target again in the window is counted, written as one row when the window ends', () => {
  const r = new AuditRepeats<DashboardAuditEntry, { sub: string; role: string }>(W, 100);
  expect(r.admit(ann, 'req-1', token, t0)).toBe(true);
  for (let i = 1; i <= 5000; i++) expect(r.admit(ann, `req-${i + 1}`, token, t0 + i)).toBe(false);
  expect(r.due(t0 + W - 1)).toEqual([]);
  const [row, ...more] = r.due(t0 + W);
  expect(more).toEqual([]);
  expect(row.actor).toEqual(ann);
  expect(row.requestId).toBe('req-1');
  // No target ids in a row written later (an erasure may have replaced them meanwhile): the request id leads to the first row.
  expect(row.entry).toMatchObject({ action: 'token.issue', targetIds: [], rowCount: 5000, outcome: 'ok' });
  expect(row.entry.detail).toBe("dashboard, 15 minutes; repeats of this request's row in the 10 minutes after it: counted");
  expect(row.entry.at).toEqual(new Date(t0 + W));
  expect(r.due(t0 + W), 'written once').toEqual([]);
  // The next window starts with a row of its own.
  expect(r.admit(ann, 'req-x', token, t0 + W + 1)).toBe(true);
});

test('another actor, target or outcome is a row of its own; a window with no repeat writes nothing more', () => {
  const r = new AuditRepeats<DashboardAuditEntry, { sub: string; role: string }>(W, 100);
  expect(r.admit(ann, 'a', view('C-1'), t0)).toBe(true);
  expect(r.admit(bob, 'b', view('C-1'), t0)).toBe(true);
  expect(r.admit(ann, 'c', view('C-2'), t0)).toBe(true);
  expect(r.admit(ann, 'd', view('C-1', 'denied'), t0)).toBe(true);
  expect(r.admit(ann, 'e', { ...token }, t0)).toBe(true);
  expect(r.due(t0 + W)).toEqual([]);
  expect(r.size).toBe(0);
});

test('past the rows of a window, distinct targets are counted into one row with how many there were', () => {
  const r = new AuditRepeats<DashboardAuditEntry, { sub: string; role: string }>(W, 100);
  let written = 0;
  for (let i = 0; i < 1000; i++) if (r.admit(ann, `r${i}`, view(`C-${i % 400}`), t0 + i)) written++;
  expect(written).toBe(100);
  // Bob is not held back by Ann's flood.
  expect(r.admit(bob, 'b', view('C-1'), t0 + 2000)).toBe(true);
  const rows = r.due(t0 + W + 1000);
  const overflow = rows.filter((x) => x.entry.detail?.startsWith('more than'));
  expect(rows.every((x) => x.entry.targetIds?.length === 0), 'no target ids in a row written later').toBe(true);
  expect(overflow).toHaveLength(1);
  // 1000 views of 400 customers: 100 written, 200 repeats of those, 700 views of the other 300.
  expect(overflow[0].entry).toMatchObject({ action: 'customer.view', rowCount: 700, outcome: 'ok' });
  expect(overflow[0].entry.detail).toBe('more than 100 rows in 10 minutes: the further ones counted (300 distinct targets)');
  const repeated = rows.filter((x) => !x.entry.detail?.startsWith('more than')).reduce((n, x) => n + (x.entry.rowCount ?? 0), 0);
  expect(repeated).toBe(200);
  expect(100 + 700 + repeated, 'every view is in a row or a count').toBe(1000);
});

test('memory stays bounded: past maxOpen every open window is written early', () => {
  const r = new AuditRepeats<DashboardAuditEntry, { sub: string; role: string }>(W, 100, 50);
  for (let i = 0; i < 60; i++) {
    r.admit({ sub: `U-${i}`, role: 'owner' }, 'x', view('C-1'), t0);
    r.admit({ sub: `U-${i}`, role: 'owner' }, 'y', view('C-1'), t0 + 1);
  }
  const rows = r.due(t0 + 2);
  expect(rows).toHaveLength(60);
  expect(r.size).toBe(0);
});
