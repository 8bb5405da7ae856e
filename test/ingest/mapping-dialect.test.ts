import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputError } from '../../ingest/core/input-error.ts';
import { entitySpec } from '../../ingest/entities/index.ts';
import { compileMapping, planColumns } from '../../ingest/mapping/compile.ts';
import { MappingError, validateMapping, type Mapping } from '../../ingest/mapping/mapping-file.ts';

const tx = entitySpec('transactions');
const compile = (m: Mapping) => compileMapping(tx, validateMapping(m), { env: {} });

describe('mapping: csv.header, csv.names, delimiters, orders', () => {
  const refused: [string, unknown, RegExp][] = [
    ['header false without names', { csv: { header: false } }, /"csv.header": false needs "csv.names"/],
    ['header not a boolean', { csv: { header: 'no' } }, /"csv.header" must be true or false/],
    ['names not an array', { csv: { names: 'a,b' } }, /"csv.names" must be a non-empty array/],
    ['an empty name', { csv: { header: false, names: ['a', ' '] } }, /"csv.names\[1\]" is empty/],
    ['a name twice', { csv: { header: false, names: ['a', 'b', 'a'] } }, /names "a" twice \(positions 1 and 3\)/],
    ['empty delimiter', { csv: { delimiter: '' } }, /"csv.delimiter" must be a non-empty string/],
    ['delimiter with a line break', { csv: { delimiter: '|\n' } }, /cannot contain a line break/],
    ['delimiter containing the quote', { csv: { delimiter: '"|' } }, /cannot contain the quote character/],
    ['unknown csv key', { csv: { separator: ';' } }, /unknown key "csv.separator"/],
    [
      'orders.by unknown',
      { orders: { by: 'day' } },
      /"orders.by" must be one of customer_timestamp, customer_day, line/,
    ],
    ['orders with another key', { orders: { by: 'line', per: 'x' } }, /unknown key "orders.per"/],
    ['skip not an object', { skip: ['POST'] }, /"skip" must be an object such as/],
    ['skip with an empty list', { skip: { product_id: [] } }, /"skip.product_id" must be a non-empty array of values/],
    ['credits not an object', { credits: true }, /"credits" must be an object such as \{"sign": true\}/],
    [
      'credits with another key',
      { credits: { sign: true, prefix: 'C' } },
      /unknown key "credits.prefix" \(known: sign, orderPrefix\)/,
    ],
    ['credits.sign not a boolean', { credits: { sign: 'yes' } }, /"credits.sign" must be true or false/],
    [
      'an empty credits.orderPrefix',
      { credits: { orderPrefix: ' ' } },
      /"credits.orderPrefix" must be a non-empty string/,
    ],
  ];
  for (const [name, raw, message] of refused) {
    it(`refuses ${name}`, () =>
      assert.throws(
        () => validateMapping(raw),
        (e: Error) => e instanceof MappingError && message.test(e.message),
      ));
  }

  const dialects: [
    string,
    Mapping,
    { delimiter?: number; separator?: string; whitespace: boolean; header: boolean },
  ][] = [
    ['default', {}, { delimiter: undefined, separator: undefined, whitespace: false, header: true }],
    ['one byte', { csv: { delimiter: ';' } }, { delimiter: 59, separator: undefined, whitespace: false, header: true }],
    [
      'two bytes',
      { csv: { delimiter: '||' } },
      { delimiter: undefined, separator: '||', whitespace: false, header: true },
    ],
    ['"; "', { csv: { delimiter: '; ' } }, { delimiter: undefined, separator: '; ', whitespace: false, header: true }],
    [
      'a multi-byte character',
      { csv: { delimiter: '¦' } },
      { delimiter: undefined, separator: '¦', whitespace: false, header: true },
    ],
    [
      'whitespace, headerless',
      { csv: { delimiter: 'whitespace', header: false, names: ['a'] } },
      { delimiter: undefined, separator: undefined, whitespace: true, header: false },
    ],
  ];
  for (const [name, m, expected] of dialects) {
    it(`compiles the ${name} dialect`, () => {
      const c = compile(m).csv;
      assert.deepEqual(
        {
          delimiter: c.delimiter,
          separator: c.separator?.toString('utf8'),
          whitespace: c.whitespace,
          header: c.header,
        },
        expected,
      );
    });
  }

  it('orders.by defaults to customer_timestamp and is refused for entities without orders', () => {
    assert.equal(compile({}).orders, 'customer_timestamp');
    assert.equal(compile({ orders: { by: 'customer_day' } }).orders, 'customer_day');
    assert.throws(
      () => compileMapping(entitySpec('customers'), { orders: { by: 'line' } }, { env: {} }),
      /mapping "orders": customers have no orders/,
    );
  });
});

describe('column plans', () => {
  const field = (m: ReturnType<typeof compile>, names: string[], name: string) =>
    planColumns(m, names).colOf[m.byName.get(name)!.index];

  const clashes: [string, Mapping, string[], string][] = [
    [
      'the same header twice',
      {},
      ['transaction_id', 'amount', 'amount'],
      'columns "amount" (column 2) and "amount" (column 3) both map to field amount',
    ],
    [
      'two spellings of one field',
      {},
      ['Customer Ref', 'customer_ref'],
      'columns "Customer Ref" (column 1) and "customer_ref" (column 2) both map to field customer_ref',
    ],
    [
      'a rename onto an existing column',
      { columns: { Kundennr: 'customer_ref' } },
      ['Kundennr', 'customer_ref'],
      'columns "Kundennr" (column 1) and "customer_ref" (column 2) both map to field customer_ref',
    ],
  ];
  for (const [name, m, names, message] of clashes) {
    it(`${name} is an error naming both columns`, () => {
      assert.throws(
        () => planColumns(compile(m), names),
        (e: Error) => e instanceof InputError && e.message.startsWith(message) && /"ignore"/.test(e.message),
      );
    });
  }

  it('the mapping resolves a clash: ignore one, or rename it elsewhere', () => {
    assert.equal(field(compile({ ignore: ['Customer Ref'] }), ['Customer Ref', 'customer_ref'], 'customer_ref'), 1);
    assert.equal(
      field(compile({ columns: { 'Customer Ref': 'product_id' } }), ['Customer Ref', 'customer_ref'], 'customer_ref'),
      1,
    );
    assert.equal(
      field(compile({ columns: { 'Customer Ref': 'product_id' } }), ['Customer Ref', 'customer_ref'], 'product_id'),
      0,
    );
  });

  it('an ignored column is dropped even when its name is a field', () => {
    assert.equal(field(compile({ ignore: ['channel'] }), ['channel'], 'channel'), -1);
  });

  it('without a transaction_id column the id is derived, not missing; with one (or a constant) it is not derived', () => {
    const names = ['customer_ref', 'order_date', 'status', 'amount'];
    const derived = planColumns(compile({ source: 's' }), names);
    assert.equal(derived.deriveId, true);
    assert.deepEqual(derived.missingRequired, []);
    assert.equal(planColumns(compile({ source: 's' }), [...names, 'transaction_id']).deriveId, false);
    assert.equal(planColumns(compile({ source: 's', constants: { transaction_id: 'x' } }), names).deriveId, false);
    // Entities without derivable ids still need theirs.
    const opp = compileMapping(entitySpec('opportunities'), { source: 's' }, { env: {} });
    assert.deepEqual(planColumns(opp, ['customer_ref', 'status', 'created_at']).missingRequired, ['opportunity_id']);
  });
});

describe('mapping: skip and credits compile against the entity', () => {
  it('skip names a field; values compare trimmed and case-insensitive', () => {
    const m = compile({ skip: { product_id: [' POST ', 'Dot'] } });
    assert.deepEqual(m.skip, [
      { index: tx.fields.findIndex((f) => f.name === 'product_id'), values: new Set(['post', 'dot']) },
    ]);
    assert.throws(
      () => compile({ skip: { stock_code: ['POST'] } }),
      /mapping "skip": "stock_code" is not a field of transactions/,
    );
  });
  it('credits only for an entity that has credit lines', () => {
    assert.deepEqual(compile({ credits: { sign: true } }).credits, { sign: true, orderPrefix: undefined });
    assert.equal(compile({ credits: { sign: false } }).credits, undefined);
    assert.throws(
      () => compileMapping(entitySpec('opportunities'), validateMapping({ credits: { sign: true } }), { env: {} }),
      /mapping "credits": opportunities have no credit lines/,
    );
  });
});
