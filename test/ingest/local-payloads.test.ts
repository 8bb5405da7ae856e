/**
 * The statement a payload file is inserted with (ingest/core/local-payloads.ts): the file() form
 * reads each column with its own type, LowCardinality(T) as T; an unknown column or a path file()
 * would expand as a glob falls back to FROM INFILE. The stored rows of both forms are compared with
 * HTTP bodies in payload-paths.test.ts (integration lane).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalPayloads, structureOf, withoutLowCardinality } from '../../ingest/core/local-payloads.ts';
import { ROW_END, withLastColumn } from '../../ingest/core/row-end.ts';

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

  it('with rows ending in the row-end marker, selects the batch id as a constant and keeps only rows whose marker is there', () => {
    const types = new Map([
      ['source', 'LowCardinality(String)'],
      ['amount', 'Decimal(18, 2)'],
      ['batch_id', 'String'],
    ]);
    assert.equal(
      LocalPayloads.statement('`crm`.`t`', ['source', 'amount', 'batch_id'], '/tmp/x/p.tsv', 'TabSeparated', types, "B-1'"),
      "INSERT INTO `crm`.`t` (`source`, `amount`, `batch_id`) SELECT `source`, `amount`, 'B-1\\'' FROM file('/tmp/x/p.tsv', TabSeparated, '`source` String, `amount` Decimal(18, 2), `row_end_marker` String') WHERE `row_end_marker` = '.' SETTINGS optimize_on_insert = 0, input_format_parallel_parsing = 0, min_insert_block_size_rows = 524288, min_insert_block_size_bytes = 134217728",
    );
    // No types: FROM INFILE reads the rows as they are (the caller writes the batch id back into them).
    assert.match(LocalPayloads.statement('t', ['source', 'batch_id'], '/tmp/x/p.tsv', 'TabSeparated', undefined, 'B-1'), /FROM INFILE/);
  });

  it('writes the batch id back in place of each row\'s marker, escaped, and refuses a row without one', () => {
    const rows = Buffer.from(`a\\tb\t1\t${ROW_END}\nc\t2\t${ROW_END}\n`);
    assert.equal(withLastColumn(rows, 'B-2026').toString(), 'a\\tb\t1\tB-2026\nc\t2\tB-2026\n');
    assert.equal(withLastColumn(rows, 'tab\there\\').toString(), 'a\\tb\t1\ttab\\there\\\\\nc\t2\ttab\\there\\\\\n');
    assert.equal(withLastColumn(rows, 'é').toString(), 'a\\tb\t1\té\nc\t2\té\n');
    assert.equal(withLastColumn(Buffer.alloc(0), 'B').length, 0);
    assert.throws(() => withLastColumn(Buffer.from('a\t1\tB-2026\n'), 'B'), /does not end with the row-end marker/);
    assert.throws(() => withLastColumn(Buffer.from(`a\t1\t${ROW_END}\nb\t2`), 'B'), /ends inside a row/);
  });
});
