import { ClickHouseError, createClient, type ClickHouseClient } from '@clickhouse/client';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WAREHOUSE_ROLES, type WarehouseRole } from '../../../lib/config.ts';
import { startTestWarehouse, type TestWarehouse } from '../../support/warehouse.ts';

/**
 * Least privilege in the embedded warehouse: every user but the admin is refused what reaches
 * outside the product's data (files, URLs, other servers, other databases, other users' queries),
 * with ClickHouse's own ACCESS_DENIED, and can still do its own job.
 */

let tw: TestWarehouse;
let scratch: string;
const clients: ClickHouseClient[] = [];

function clientFor(role: WarehouseRole | 'admin', database?: string): ClickHouseClient {
  const credentials = role === 'admin' ? { user: tw.config.user, password: tw.config.password } : tw.users[role];
  const c = createClient({
    url: tw.server.url,
    username: credentials.user,
    password: credentials.password,
    database: database ?? tw.config.database,
    // The failures below are on purpose; keep the client's own error log quiet.
    log: { level: 127 as never },
    // As the product's own client (lib/warehouse/index.ts) asks; the server default is 0 since 25.8.
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
  });
  clients.push(c);
  return c;
}

async function deniedAccess(promise: Promise<unknown>, mention?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ClickHouseError, `expected ClickHouseError, got ${String(error)}`);
    assert.equal(error.code, '497', error.message);
    assert.equal(error.type, 'ACCESS_DENIED');
    if (mention) assert.match(error.message, mention);
    return true;
  });
}

async function rows(client: ClickHouseClient, query: string): Promise<Record<string, unknown>[]> {
  const rs = await client.query({ query, format: 'JSONEachRow' });
  return rs.json<Record<string, unknown>>();
}

before(async () => {
  tw = await startTestWarehouse();
  scratch = mkdtempSync(join(tmpdir(), 'crm-privileges-'));
  const admin = tw.warehouse.client;
  await admin.command({ query: 'CREATE TABLE events (id UInt64, name String) ENGINE = MergeTree ORDER BY id' });
  await admin.command({ query: "INSERT INTO events VALUES (1, 'a'), (2, 'b')" });
  await admin.command({ query: 'CREATE DATABASE other' });
  await admin.command({ query: "CREATE TABLE other.secret ENGINE = MergeTree ORDER BY s AS SELECT 'hidden' AS s" });
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await tw?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

for (const role of WAREHOUSE_ROLES) {
  describe(`user ${role}`, () => {
    let client: ClickHouseClient;
    before(() => {
      client = clientFor(role);
    });

    const tableFunctions: [string, string][] = [
      ['file', "SELECT * FROM file('/etc/passwd', 'LineAsString')"],
      ['url', "SELECT * FROM url('http://127.0.0.1:9/x', 'LineAsString')"],
      ['s3', "SELECT * FROM s3('http://127.0.0.1:9/bucket/x', 'LineAsString')"],
      ['remote', "SELECT * FROM remote('127.0.0.1', 'system', 'one')"],
      ['executable', "SELECT * FROM executable('cat /etc/passwd', 'LineAsString', 'line String')"],
      ['input', "SELECT * FROM input('line String')"],
      ['merge', "SELECT * FROM merge('other', '.*')"],
      ['FILE in capitals, in a subquery', "SELECT count() FROM events WHERE name IN (SELECT * FROM FILE('/etc/passwd', 'LineAsString'))"],
    ];
    for (const [name, query] of tableFunctions) {
      test(`table function ${name} is refused`, async () => {
        await deniedAccess(rows(client, query), new RegExp(`${tw.users[role].user}`));
      });
    }

    test('scalar file() is refused (chdb returns the file even with readonly=1)', async () => {
      await deniedAccess(rows(client, "SELECT file('/etc/passwd') AS f"), /file/);
    });

    test('INSERT INTO FUNCTION file() writes nothing', async () => {
      const target = join(scratch, `${role}-insert.tsv`);
      await deniedAccess(client.command({ query: `INSERT INTO FUNCTION file('${target}', 'TSV', 'a String') SELECT 'x'` }));
      assert.equal(existsSync(target), false);
    });

    test('INTO OUTFILE and FROM INFILE are refused', async () => {
      const target = join(scratch, `${role}-out.tsv`);
      await deniedAccess(client.command({ query: `SELECT * FROM events INTO OUTFILE '${target}'` }), /OUTFILE/);
      assert.equal(existsSync(target), false);
      await deniedAccess(client.command({ query: "INSERT INTO events FROM INFILE '/etc/passwd' FORMAT TSV" }), /INFILE/);
    });

    test('another database is refused, however it is named', async () => {
      await deniedAccess(rows(client, 'SELECT * FROM other.secret'), /other\.secret/);
      await deniedAccess(rows(client, 'SELECT count() FROM events WHERE name IN other.secret'));
      await deniedAccess(rows(client, 'SELECT * FROM events JOIN `other`.`secret` ON 1'));
      await deniedAccess(rows(clientFor(role, 'other'), 'SELECT * FROM secret'));
      await deniedAccess(client.command({ query: 'CREATE TABLE other.planted (a UInt8) ENGINE = Memory' }));
      await deniedAccess(client.command({ query: 'DROP TABLE other.secret' }));
    });

    test("other users' queries (system.processes, query_log) are refused", async () => {
      await deniedAccess(rows(client, 'SELECT query FROM system.processes'), /system\.processes/);
      await deniedAccess(rows(client, 'SHOW PROCESSLIST'));
    });

    test('quoted names that could hide another database are refused', async () => {
      await deniedAccess(rows(client, 'SELECT * FROM `other\nsecret`'));
    });

    test('the metadata clients need is readable', async () => {
      const tables = await rows(client, `SELECT name FROM system.tables WHERE database = '${tw.config.database}'`);
      assert.ok(tables.some((t) => t.name === 'events'));
      assert.deepEqual(await rows(client, 'SELECT dummy FROM system.one'), [{ dummy: 0 }]);
    });

    test('reads of the product database work, with query-level SETTINGS', async () => {
      const result = await rows(
        client,
        'SELECT e.id AS id, n.number AS n FROM events AS e LEFT JOIN numbers(3) AS n ON e.id = n.number ORDER BY id SETTINGS join_use_nulls = 0',
      );
      assert.deepEqual(result.map((r) => [Number(r.id), Number(r.n)]), [[1, 1], [2, 2]]);
      // A column that shares a refused setting's name is only a column.
      assert.deepEqual(await rows(client, 'SELECT count() AS n FROM (SELECT number AS dialect FROM numbers(3)) WHERE dialect = 1'), [{ n: '1' }]);
    });
  });
}

describe('other ways around the rules', () => {
  const attempts: [string, string, Record<string, string>?][] = [
    ['file() in a WITH alias', "WITH file('/etc/passwd') AS f SELECT f"],
    ['file() in a lambda', "SELECT arrayMap(p -> file(p), ['/etc/passwd'])"],
    ['url() inside view()', "SELECT * FROM view(SELECT * FROM url('http://127.0.0.1:9/', 'LineAsString'))"],
    ['a table named by a query parameter', 'SELECT * FROM {t:Identifier}', { param_t: 'other.secret' }],
    ['IN (db.table)', 'SELECT count() FROM events WHERE name GLOBAL IN other.secret'],
    ['joinGet', "SELECT joinGet('other.secret', 's', 1)"],
    ['dictGet', "SELECT dictGet('other.dict', 's', 1)"],
    ['DESCRIBE another table', 'DESCRIBE TABLE other.secret'],
    ['SHOW CREATE of another table', 'SHOW CREATE TABLE other.secret'],
    ['SHOW TABLES of another database', 'SHOW TABLES FROM other'],
    ['system.query_log', 'SELECT query FROM system.query_log'],
    ['system.users', 'SELECT * FROM system.users'],
    ['SET', "SET dialect = 'kusto'"],
    ['a setting that changes the parser', "SELECT 1 SETTINGS dialect = 'kusto'"],
    ['USE another database', 'USE other'],
    ['SYSTEM', 'SYSTEM FLUSH LOGS'],
    ['KILL MUTATION', "KILL MUTATION WHERE database = 'other'"],
    ['RENAME into another database', 'RENAME TABLE events TO other.events'],
  ];
  for (const role of WAREHOUSE_ROLES) {
    test(`${role}: every one is refused`, async () => {
      for (const [name, query, params] of attempts) {
        const url = new URL(tw.server.url);
        url.searchParams.set('database', tw.config.database);
        for (const [k, v] of Object.entries(params ?? {})) url.searchParams.set(k, v);
        const res = await fetch(url, {
          method: 'POST',
          body: query,
          headers: { 'X-ClickHouse-User': tw.users[role].user, 'X-ClickHouse-Key': tw.users[role].password },
        });
        const text = await res.text();
        assert.equal(res.status, 403, `${name}: ${res.status} ${text}`);
        assert.match(text, /^Code: 497\. DB::Exception: .*\(ACCESS_DENIED\)/, name);
      }
    });
  }
  test('the setting dialect in the URL is refused too', async () => {
    const url = new URL(tw.server.url);
    url.searchParams.set('dialect', 'kusto');
    const res = await fetch(url, { method: 'POST', body: 'SELECT 1', headers: { 'X-ClickHouse-User': tw.users.reader.user, 'X-ClickHouse-Key': tw.users.reader.password } });
    assert.equal(res.status, 403);
  });
});

describe('the rights that differ by role', () => {
  test('reader may not write at all', async () => {
    const reader = clientFor('reader');
    await deniedAccess(reader.command({ query: "INSERT INTO events VALUES (3, 'c')" }));
    await deniedAccess(reader.command({ query: 'ALTER TABLE events DELETE WHERE 1' }));
    await deniedAccess(reader.command({ query: 'CREATE TABLE planted (a UInt8) ENGINE = Memory' }));
  });

  test('writer inserts a 2 MiB TSV body (spooled through FROM INFILE) and changes its tables', async () => {
    const writer = clientFor('writer');
    await writer.command({ query: 'CREATE TABLE IF NOT EXISTS loads (id UInt64, name String) ENGINE = MergeTree ORDER BY id' });
    const line = (i: number): string => `${i}\t${'x'.repeat(100)}\n`;
    const body = Array.from({ length: 21_000 }, (_, i) => line(i)).join('');
    assert.ok(body.length > 2 << 20);
    const res = await fetch(`${tw.server.url}/?query=${encodeURIComponent('INSERT INTO loads FORMAT TSV')}&database=${tw.config.database}`, {
      method: 'POST',
      headers: { 'X-ClickHouse-User': tw.users.writer.user, 'X-ClickHouse-Key': tw.users.writer.password },
      body,
    });
    assert.equal(res.status, 200, await res.text());
    assert.deepEqual(await rows(writer, 'SELECT count() AS n FROM loads'), [{ n: '21000' }]);
    await writer.command({ query: 'ALTER TABLE loads DELETE WHERE id >= 1000', clickhouse_settings: { mutations_sync: '1' } });
    await writer.command({ query: 'DELETE FROM loads WHERE id < 10' });
    assert.deepEqual(await rows(writer, 'SELECT count() AS n FROM loads'), [{ n: '990' }]);
    await writer.command({ query: 'TRUNCATE TABLE loads' });
    await writer.command({ query: 'DROP TABLE loads' });
  });

  test('writer lists its tables\' partitions in system.parts (the derived refresh does); reader may not', async () => {
    const writer = clientFor('writer');
    await writer.command({ query: 'CREATE TABLE IF NOT EXISTS parted (m UInt8, id UInt64) ENGINE = MergeTree PARTITION BY m ORDER BY id' });
    await writer.command({ query: 'INSERT INTO parted VALUES (1, 1), (2, 2), (2, 3)' });
    const parts = await rows(writer, `SELECT DISTINCT partition AS p FROM system.parts WHERE database = '${tw.config.database}' AND table = 'parted' AND active ORDER BY p`);
    assert.deepEqual(parts, [{ p: '1' }, { p: '2' }]);
    await deniedAccess(rows(clientFor('reader'), 'SELECT partition FROM system.parts'), /system\.parts/);
    await writer.command({ query: 'DROP TABLE parted' });
  });

  test('writer may not create tables whose engine reads files', async () => {
    const writer = clientFor('writer');
    await deniedAccess(writer.command({ query: "CREATE TABLE leak (line String) ENGINE = File(LineAsString, '/etc/passwd')" }), /File/);
    await deniedAccess(writer.command({ query: "CREATE TABLE leak ENGINE = Memory AS SELECT * FROM file('/etc/passwd', 'LineAsString')" }));
    await deniedAccess(writer.command({ query: 'CREATE TABLE leak AS other.secret' }));
  });

  test('semantic (Cube) creates, fills, reads and drops pre-aggregation tables, and only there', async () => {
    const semantic = clientFor('semantic');
    const schema = `${tw.config.database}_pre_aggregations`;
    await semantic.command({ query: `CREATE DATABASE IF NOT EXISTS ${schema}` });
    // The statement Cube's ClickHouse adapter generates for a rollup.
    await semantic.command({ query: `CREATE TABLE ${schema}.events_rollup ENGINE = MergeTree() ORDER BY (id) AS SELECT id, count() AS n FROM ${tw.config.database}.events GROUP BY id` });
    await semantic.command({ query: `ALTER TABLE ${schema}.events_rollup ADD INDEX events_rollup_by_id (\`id\`) TYPE minmax GRANULARITY 1` });
    assert.deepEqual(await rows(semantic, `SELECT toString(sum(n)) AS n FROM ${schema}.events_rollup`), [{ n: '2' }]);
    await semantic.command({ query: `DROP TABLE ${schema}.events_rollup` });
    await deniedAccess(semantic.command({ query: 'CREATE TABLE planted (a UInt8) ENGINE = Memory' }));
    await deniedAccess(semantic.command({ query: "INSERT INTO events VALUES (3, 'c')" }));
    await deniedAccess(semantic.command({ query: 'CREATE DATABASE elsewhere' }));
  });

  test('the audit log is append-only: the writer inserts and reads it, nobody but the admin changes it, Cube and readers cannot read it', async () => {
    const admin = clientFor('admin');
    await admin.command({ query: 'CREATE TABLE IF NOT EXISTS audit_log (event_id String, action String) ENGINE = MergeTree ORDER BY event_id' });
    const writer = clientFor('writer');
    await writer.command({ query: "INSERT INTO audit_log VALUES ('e1', 'customer.view')" });
    await writer.insert({ table: 'audit_log', values: [{ event_id: 'e2', action: 'auth.sign_in' }], format: 'JSONEachRow' });
    assert.deepEqual(await rows(writer, 'SELECT count() AS n FROM audit_log'), [{ n: '2' }]);
    const db = tw.config.database;
    for (const query of [
      'ALTER TABLE audit_log DELETE WHERE 1',
      `ALTER TABLE ${db}.audit_log UPDATE action = 'x' WHERE 1`,
      `ALTER TABLE ${db}.audit_log DROP PARTITION tuple()`,
      'DELETE FROM audit_log WHERE 1',
      `TRUNCATE TABLE ${db}.audit_log`,
      'DROP TABLE audit_log',
      `OPTIMIZE TABLE ${db}.audit_log FINAL DEDUPLICATE`,
      'CREATE OR REPLACE TABLE audit_log (event_id String) ENGINE = MergeTree ORDER BY event_id',
      'RENAME TABLE audit_log TO audit_gone',
      'EXCHANGE TABLES audit_log AND events',
      'DROP TABLE audit_log_local',
    ]) {
      const passed = await writer.command({ query }).then(
        () => true,
        (error: unknown) => (error instanceof ClickHouseError && error.code === '497' ? false : `${query}: ${String(error)}`),
      );
      assert.equal(passed, false, `the writer may not run: ${query}`);
    }
    for (const role of ['semantic', 'reader'] as const) {
      await deniedAccess(clientFor(role).query({ query: 'SELECT * FROM audit_log', format: 'JSONEachRow' }), /audit_log/);
      await deniedAccess(clientFor(role).query({ query: `SELECT count() FROM events WHERE id IN (SELECT length(event_id) FROM ${db}.audit_log)`, format: 'JSONEachRow' }), /audit_log/);
    }
    assert.deepEqual(await rows(admin, 'SELECT count() AS n FROM audit_log'), [{ n: '2' }], 'every refused statement left the rows as they were');
  });

  test("the dashboard accounts' password hashes: the writer reads them, Cube and readers read the other columns of users only", async () => {
    const admin = clientFor('admin');
    const db = tw.config.database;
    await admin.command({ query: 'CREATE TABLE IF NOT EXISTS users (user_id String, owner_id String, name String, email String, region String, password_hash String, version UInt64) ENGINE = MergeTree ORDER BY user_id' });
    await admin.command({ query: "INSERT INTO users VALUES ('U1', 'O1', 'Ada', 'ada@x.example', 'EMEA', 'scrypt$abc$def', 1)" });
    assert.deepEqual(await rows(clientFor('writer'), 'SELECT password_hash FROM users'), [{ password_hash: 'scrypt$abc$def' }], 'the writer checks passwords');
    for (const role of ['semantic', 'reader'] as const) {
      const c = clientFor(role);
      // What Cube's account_owners cube and an analyst legitimately ask.
      assert.deepEqual(await rows(c, 'SELECT owner_id, argMax(name, version) AS owner_name FROM users GROUP BY owner_id'), [{ owner_id: 'O1', owner_name: 'Ada' }], role);
      assert.deepEqual(await rows(c, `SELECT count(*) AS n FROM ${db}.users`), [{ n: '1' }], role);
      // Cube's customer queries: all columns of another source, with the owners' names joined by
      // name from users (a statement-wide refusal of every * broke the customers list and the 360 page).
      const joined = await rows(
        c,
        "SELECT e.*, o.owner_name FROM (SELECT 'O1' AS owner_id, 'x' AS note) AS e LEFT JOIN (SELECT owner_id, argMax(name, version) AS owner_name FROM users GROUP BY owner_id) AS o ON e.owner_id = o.owner_id",
      );
      assert.deepEqual(joined, [{ owner_id: 'O1', note: 'x', owner_name: 'Ada' }], role);
      assert.deepEqual(await rows(c, 'SELECT * FROM (SELECT owner_id FROM users)'), [{ owner_id: 'O1' }], role);
      for (const query of [
        'SELECT password_hash FROM users',
        `SELECT u.password_hash AS p FROM ${db}.users AS u`,
        'SELECT p FROM (SELECT `password_hash` AS p FROM users)',
        'SELECT * FROM users',
        'SELECT users.* FROM users',
        "SELECT COLUMNS('pass') FROM users",
        'SELECT * EXCEPT (user_id) FROM users',
        "SELECT tupleElement(t, 'password_hash') FROM (SELECT tuple(*) AS t FROM users)",
        "SELECT formatRow('JSONEachRow', *) FROM users",
        'SELECT * FROM (SELECT * FROM users)',
        "SELECT * FROM (SELECT 'O1' AS o) AS e JOIN users AS u ON e.o = u.owner_id",
        'WITH x AS (SELECT * FROM users) SELECT user_id FROM x',
        'SELECT e.id FROM events AS e WHERE e.name IN (SELECT password_hash FROM users_local)',
      ]) {
        await deniedAccess(c.query({ query, format: 'JSONEachRow' }), /password_hash|all columns/);
      }
    }
  });

  test('the admin keeps every right', async () => {
    const admin = clientFor('admin');
    assert.deepEqual(await rows(admin, 'SELECT s FROM other.secret'), [{ s: 'hidden' }]);
    const lines = await rows(admin, "SELECT count() > 0 AS ok FROM file('/etc/passwd', 'LineAsString')");
    assert.deepEqual(lines, [{ ok: 1 }]);
  });
});
