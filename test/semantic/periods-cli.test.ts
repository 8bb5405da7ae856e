import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main, periodRows } from '../../semantic/periods-cli.ts';

/** The periods CLI: the dashboard's named periods as dateRanges for API users (no process started: main() is called). */
test('prints the exact ranges, their comparisons, and flags a comparison before the data', () => {
  const rows = periodRows('2026-12-05', '2025-01-03');
  const by = new Map(rows.map((r) => [r.id, r]));
  assert.deepEqual(by.get('last_12_full_months'), {
    id: 'last_12_full_months',
    label: 'Last 12 full months',
    dateRange: ['2025-12-01', '2026-11-30'],
    previous: ['2024-12-01', '2025-11-30'],
    lastYear: ['2024-12-01', '2025-11-30'],
    previousAvailable: false, // 1 Dec 2024 is before 3 Jan 2025
  });
  assert.deepEqual(by.get('year_to_date')?.previous, ['2025-01-01', '2025-12-05']);
  // The data starts on 3 Jan 2025, two days into that comparison: not comparable either.
  assert.equal(by.get('year_to_date')?.previousAvailable, false);
  assert.equal(by.get('month_to_date')?.previousAvailable, true);
  assert.deepEqual(by.get('all_data')?.dateRange, ['2025-01-03', '2026-12-05']);
  assert.deepEqual(
    periodRows('2026-12-05').find((r) => r.id === 'all_data'),
    { id: 'all_data', label: 'All data' },
  );

  const table = main(['--as-of', '2026-12-05', '--data-start', '2025-01-03']);
  assert.equal(table.code, 0);
  assert.match(
    table.out,
    /^Last 12 full months +2025-12-01 – 2026-11-30 +previous 2024-12-01 – 2025-11-30 +\(before the data\)/m,
  );
  assert.deepEqual(JSON.parse(main(['--as-of', '2026-12-05', '--json']).out)[0], {
    id: 'last_30_days',
    label: 'Last 30 days',
    dateRange: ['2026-11-06', '2026-12-05'],
    previous: ['2026-10-07', '2026-11-05'],
    lastYear: ['2025-11-06', '2025-12-05'],
    previousAvailable: true,
  });
});

test('help, and bad input named', () => {
  assert.equal(main(['--help']).code, 0);
  assert.match(main(['--help']).out, /--as-of <day>/);
  assert.deepEqual([main([]).code, main([]).out.split('\n')[0]], [2, '--as-of is required']);
  assert.deepEqual(main(['--as-of', '2026-02-30']), {
    code: 2,
    out: '--as-of must be a calendar date YYYY-MM-DD, got "2026-02-30"',
  });
  assert.match(main(['--as-of', '2026-12-05', '--data-start', 'soon']).out, /--data-start must be a calendar date/);
  assert.equal(main(['--bogus']).code, 2);
});
