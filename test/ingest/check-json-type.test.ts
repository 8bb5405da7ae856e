import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FieldType } from '../../ingest/entities/types.ts';
import { jsonTypeProblem } from '../../ingest/validate/check-json-type.ts';

describe('jsonTypeProblem', () => {
  const cases: [unknown, FieldType, RegExp | undefined][] = [
    ['abc', 'string', undefined],
    [42, 'id', undefined],
    [null, 'decimal', undefined],
    [new Date(0), 'datetime', undefined],
    [{ id: 7 }, 'id', /^is a JSON object \(\{"id":7\}\), expected text$/],
    [['a', 'b'], 'string', /^is a JSON array \(\["a","b"\]\), expected text$/],
    [{ v: 1 }, 'decimal', /JSON object .*expected a number$/],
    [true, 'decimal', /^is a JSON boolean \(true\), expected a number$/],
    [false, 'date', /JSON boolean \(false\), expected a date$/],
    [true, 'string', undefined],
    [{ shop: '1001' }, 'external_ids', undefined],
    [['shop'], 'external_ids', /JSON array/],
    [[{ stage: 'won', entered_at: '2024-01-01' }], 'stage_history', undefined],
    [{ stage: 'won' }, 'stage_history', /JSON object .*expected an array$/],
    [{ long: 'x'.repeat(100) }, 'string', /\.\.\.\), expected text$/],
  ];
  for (const [value, type, want] of cases) {
    test(`${JSON.stringify(value)} for ${type}`, () => {
      const got = jsonTypeProblem(value, type);
      if (want === undefined) assert.equal(got, undefined);
      else assert.match(got ?? '', want);
    });
  }
});
