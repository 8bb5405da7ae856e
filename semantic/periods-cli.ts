/**
 * `npx tsx semantic/periods-cli.ts --as-of 2026-12-05 [--data-start 2024-01-03] [--json]`
 * Prints the dashboard's named periods (lib/periods.ts) as the exact `dateRange`s to send to the
 * semantic layer, with the range each is compared with: API users and notebooks ask for the same
 * days the dashboard shows. Cube's own relative ranges ("last 12 months") count from the server's
 * clock, not from the data's as-of day, so they are not used.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { checkDay } from '../lib/as-of.ts';
import { comparability, comparisonRange, PERIODS, periodRange, type PeriodId } from '../lib/periods.ts';

const HELP = `Usage: npx tsx semantic/periods-cli.ts --as-of <YYYY-MM-DD> [--data-start <YYYY-MM-DD>] [--json]

Prints each named period of the dashboard ("Last 12 full months", "Year to date", …) as the
dateRange [from, to] for that as-of day, the previous period and the same period last year it is
compared with, and whether the comparison starts before the data does.

Options:
  --as-of <day>        the as-of day (customer_base.value_as_of; the last day the data is current to)
  --data-start <day>   the first day with data ("All data" needs it; comparisons before it are flagged)
  --json               one JSON array instead of a table
  --help               show this help`;

export interface PeriodRow {
  id: PeriodId;
  label: string;
  dateRange?: [string, string];
  previous?: [string, string];
  lastYear?: [string, string];
  /** False when the previous period starts before --data-start. */
  previousAvailable?: boolean;
}

export function periodRows(asOf: string, dataStart?: string): PeriodRow[] {
  const pair = (r: { from: string; to: string } | undefined): [string, string] | undefined =>
    r ? [r.from, r.to] : undefined;
  return PERIODS.map((p) => {
    const r = periodRange(p.id, { asOf, dataStart });
    if (!r) return { id: p.id, label: p.label };
    const previous = comparisonRange(r, 'previous', p.id);
    return {
      id: p.id,
      label: p.label,
      dateRange: pair(r),
      previous: pair(previous),
      lastYear: pair(comparisonRange(r, 'last_year', p.id)),
      previousAvailable: comparability(previous, dataStart).available,
    };
  });
}

export function main(argv: string[]): { code: number; out: string } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'as-of': { type: 'string' },
        'data-start': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    return { code: 2, out: `${(err as Error).message}\n\n${HELP}` };
  }
  if (values.help) return { code: 0, out: HELP };
  if (typeof values['as-of'] !== 'string') return { code: 2, out: `--as-of is required\n\n${HELP}` };
  let asOf: string;
  let dataStart: string | undefined;
  try {
    asOf = checkDay(values['as-of'], '--as-of');
    dataStart = typeof values['data-start'] === 'string' ? checkDay(values['data-start'], '--data-start') : undefined;
  } catch (err) {
    return { code: 2, out: (err as Error).message };
  }
  const rows = periodRows(asOf, dataStart);
  if (values.json) return { code: 0, out: JSON.stringify(rows, null, 2) };
  const fmt = (r?: [string, string]) => (r ? `${r[0]} – ${r[1]}` : '—');
  const lines = rows.map(
    (r) =>
      `${r.label.padEnd(20)} ${fmt(r.dateRange).padEnd(25)} previous ${fmt(r.previous).padEnd(25)}${r.previousAvailable === false ? ' (before the data)' : ''}  last year ${fmt(r.lastYear)}`,
  );
  return { code: 0, out: [`as of ${asOf}${dataStart ? `, data from ${dataStart}` : ''}`, ...lines].join('\n') };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { code, out } = main(process.argv.slice(2));
  (code === 0 ? process.stdout : process.stderr).write(`${out}\n`);
  process.exitCode = code;
}
