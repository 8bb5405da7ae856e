import { describe, expect, it } from 'vitest';
import type { Row } from '../cube/types.ts';
import { csvStream, pagedRows, streamText, withUnits } from './csv-stream.ts';

const columns: [string, string][] = [
  ['customer_id', 'c.id'],
  ['name', 'c.name'],
  ['value', 'c.value'],
];
const people: Row[] = Array.from({ length: 7 }, (_, i) => ({ 'c.id': `C${i}`, 'c.name': i === 3 ? 'Smith, "Jo"' : i === 4 ? '=HYPERLINK()' : `Name ${i}`, 'c.value': i === 5 ? null : -i * 1.5 }));

function loader(rows: Row[]) {
  const calls: [number, number][] = [];
  return {
    calls,
    load: async (limit: number, offset: number) => {
      calls.push([limit, offset]);
      return rows.slice(offset, offset + limit);
    },
  };
}

describe('pagedRows', () => {
  it('reads every page and stops at the first short one', async () => {
    const l = loader(people);
    const seen: Row[] = [];
    for await (const page of pagedRows(l.load, 3)) seen.push(...page);
    expect(seen).toEqual(people);
    expect(l.calls).toEqual([[3, 0], [3, 3], [3, 6]]);
  });
  it('asks once more after an exactly full last page', async () => {
    const l = loader(people.slice(0, 6));
    let n = 0;
    for await (const page of pagedRows(l.load, 3)) n += page.length;
    expect(n).toBe(6);
    expect(l.calls).toEqual([[3, 0], [3, 3], [3, 6]]);
  });
});

describe('csvStream', () => {
  it('writes BOM, header and one CRLF line per member, escaped', async () => {
    const text = await streamText(csvStream(columns, pagedRows(loader(people).load, 2)));
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('\uFEFFcustomer_id,name,value');
    expect(lines.slice(1, -1)).toHaveLength(7);
    expect(lines[1]).toBe('C0,Name 0,0');
    expect(lines[2]).toBe('C1,Name 1,-1.5');
    expect(lines[4]).toBe('C3,"Smith, ""Jo""",-4.5');
    expect(lines[5]).toBe("C4,'=HYPERLINK(),-6");
    expect(lines[6]).toBe('C5,Name 5,');
    expect(lines.at(-1)).toBe('');
  });
  it('an empty audience is just the header', async () => {
    expect(await streamText(csvStream(columns, pagedRows(loader([]).load, 5)))).toBe('\uFEFFcustomer_id,name,value\r\n');
  });
  it('a failing page errors the stream', async () => {
    let n = 0;
    const load = async () => {
      if (n++ > 0) throw new Error('cube down');
      return people.slice(0, 2);
    };
    await expect(streamText(csvStream(columns, pagedRows(load, 2)))).rejects.toThrow();
  });
});

describe('rounded values, units in headers (issue 15: 0.2757756073756999 in an export)', () => {
  const risk: [string, string][] = [
    ['customer_id', 'r.id'],
    ['churn_probability', 'r.p'],
    ['value_at_risk_eur', 'r.var'],
    ['predicted_clv_12m', 'r.clv'],
    ['days_since_last_purchase', 'r.days'],
    ['reasons', 'r.why'],
  ];
  const units = { 'r.p': 'percent', 'r.var': 'money', 'r.clv': 'money', 'r.days': 'days' } as const;
  const rows: Row[] = [
    // Cube's strings as they come; the expected cells below are worked out by hand:
    // 0.2757756073756999 → 27.57…% → "27.6"; 49930.456 → "49930.46"; 21.2 → "21.20"; 140.6 days → "141".
    { 'r.id': 'C1', 'r.p': '0.2757756073756999', 'r.var': '49930.456', 'r.clv': '21.2', 'r.days': '140.6', 'r.why': 'spend down 60% (€200 vs €500)' },
    { 'r.id': 'C2', 'r.p': 1, 'r.var': '-0.004', 'r.clv': null, 'r.days': 0, 'r.why': '=HYPERLINK("x")' },
  ];

  it('names the unit in each numeric header, in the base currency', () => {
    expect(withUnits(risk, units, { currency: 'EUR' }).map(([h]) => h)).toEqual([
      'customer_id', 'churn_probability_pct', 'value_at_risk_eur', 'predicted_clv_12m_eur', 'days_since_last_purchase', 'reasons',
    ]);
    expect(withUnits(risk, units, { currency: 'USD' })[2][0]).toBe('value_at_risk_usd');
  });

  it('writes rounded numbers, still formula-guarded', async () => {
    const text = await streamText(csvStream(withUnits(risk, units, { currency: 'EUR' }), pagedRows(loader(rows).load, 10)));
    expect(text.replace('\uFEFF', '').split('\r\n')).toEqual([
      'customer_id,churn_probability_pct,value_at_risk_eur,predicted_clv_12m_eur,days_since_last_purchase,reasons',
      'C1,27.6,49930.46,21.20,141,spend down 60% (€200 vs €500)',
      `C2,100.0,0.00,,0,"'=HYPERLINK(""x"")"`,
      '',
    ]);
  });
});

describe('one CSV writer', () => {
  // Every endpoint that answers a CSV goes through csvResponse/csvStream (and so through csvCell's
  // formula guard); a hand-rolled writer in a route would escape that.
  const endpoints = import.meta.glob<string>('../../routes/**/+server.ts', { query: '?raw', import: 'default', eager: true });
  it.each(Object.entries(endpoints).filter(([, src]) => src.includes('text/csv') || src.includes('csvResponse')))('%s', (_file, src) => {
    expect(src).toContain("from '$lib/format/csv-stream.ts'");
    expect(src).not.toMatch(/text\/csv|csvRow|new ReadableStream/);
  });
  it('finds the exports', () => {
    expect(Object.entries(endpoints).filter(([, src]) => src.includes('csvResponse')).length).toBeGreaterThanOrEqual(2);
  });
});
