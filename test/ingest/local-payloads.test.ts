/**
 * The statement a payload file is inserted with (ingest/core/local-payloads.ts): the file() form
 * reads each column with its own type, LowCardinality(T) as T; an unknown column or a path file()
 * would expand as a glob falls back to FROM INFILE. The stored rows of both forms are compared with
 * HTTP bodies in payload-paths.test.ts (integration lane).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalPayloads, structureOf, withoutLowCardinality } from '../../ingest/core/local-payloads.ts';

describe('local payload statements', () => {
  it('reads LowCardinality columns as their inner type, nested too, and leaves other types alone', () => {
    assert.equal(withoutLowCardinality('LowCardinality(String)'), 'String');
    assert.equal(withoutLowCardinality('LowCardinality(Nullable(String))'), 'Nullable(String)');
    assert.equal(withoutLowCardinality('Array(LowCardinality(String))'), 'Array(String)');
    assert.equal(withoutLowCardinality('Map(LowCardinality(String), LowCardinality(String))'), 'Map(String, String)');
    assert.equal(withoutLowCardinality('Array(Tuple(stage String, entered_at Date))'), 'Array(Tuple(stage String, entered_at Date))');
    assert.equal(withoutLowCardinality('Decimal(18, 2)'), 'Decimal(18, 2)');
  });

  it('builds the structure in the payload column order, and none when a column is unknown', () => {
    const types = new Map([
      ['source', 'LowCardinality(String)'],
      ['amount', 'Decimal(18, 2)'],
      ['odd`name', 'String'],
    ]);
    assert.equal(structureOf(['amount', 'source', 'odd`name'], types), '`amount` Decimal(18, 2), `source` String, `odd\\`name` String');
    assert.equal(structureOf(['amount', 'missing'], types), undefined);
  });

  it('inserts through file() without optimize_on_insert, in half-size blocks, when the types are known, FROM INFILE otherwise', () => {
    const types = new Map([
      ['source', 'LowCardinality(String)'],
      ['amount', 'Decimal(18, 2)'],
    ]);
    assert.equal(
      LocalPayloads.statement('`crm`.`t`', ['source', 'amount'], "/tmp/x/it's.tsv", 'TabSeparated', types),
      "INSERT INTO `crm`.`t` (`source`, `amount`) SELECT * FROM file('/tmp/x/it\\'s.tsv', TabSeparated, '`source` String, `amount` Decimal(18, 2)') SETTINGS optimize_on_insert = 0, input_format_parallel_parsing = 0, min_insert_block_size_rows = 524288, min_insert_block_size_bytes = 134217728",
    );
    assert.equal(LocalPayloads.statement('`crm`.`t`', ['source'], '/tmp/x/p.tsv', 'TabSeparated'), "INSERT INTO `crm`.`t` (`source`) FROM INFILE '/tmp/x/p.tsv' FORMAT TabSeparated");
    for (const path of ['/tmp/a*/p.tsv', '/tmp/{a,b}/p.tsv', '/tmp/a?/p.tsv', '/tmp/[ab]/p.tsv']) {
      assert.match(LocalPayloads.statement('t', ['source'], path, 'TabSeparated', types), /FROM INFILE/, path);
    }
  });
});
