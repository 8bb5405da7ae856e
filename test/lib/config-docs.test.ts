// .env.example and the README's variable table are generated from lib/config/schema.ts
// (`npm run config:docs`); this fails when either is not current. Pure: reads two files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../lib/config.ts';
import { renderEnvExample, updateReadme } from '../../lib/config/docs.ts';
import { ConfigError, loadConfig, VARIABLES } from '../../lib/config/schema.ts';

const read = (name: string): string => readFileSync(join(PROJECT_ROOT, name), 'utf8');

test('.env.example is generated from the schema (run `npm run config:docs`)', () => {
  assert.equal(read('.env.example'), renderEnvExample(), '.env.example is not current: run `npm run config:docs`');
});

test("the README's variable table is generated from the schema (run `npm run config:docs`)", () => {
  const readme = read('README.md');
  assert.equal(readme, updateReadme(readme), 'the README table between <!-- config:start --> and <!-- config:end --> is not current: run `npm run config:docs`');
});

test('every variable is documented: type, default, meaning and who reads it', () => {
  for (const [name, { doc }] of Object.entries(VARIABLES)) {
    assert.match(name, /^[A-Z][A-Z0-9_]*$/);
    for (const field of ['type', 'default', 'meaning', 'readBy'] as const) assert.ok(doc[field].trim(), `${name}: ${field} is empty`);
  }
});

test('defaults apply to an empty environment', () => {
  const c = loadConfig({});
  assert.equal(c.CRM_WEB_PORT, 3000);
  assert.equal(c.CRM_EMBEDDED_PORT, 8124);
  assert.equal(c.CRM_BIND_HOST, '127.0.0.1');
  assert.equal(c.CLICKHOUSE_DATABASE, 'crm');
  assert.equal(c.CLICKHOUSE_WRITER_USER, 'crm_writer');
  assert.equal(c.CRM_DERIVED_CHECK_SECONDS, 60);
  assert.equal(c.CLICKHOUSE_URL, undefined);
});

test('a bad value names the variable, what it must be and what it got; secrets are not echoed', () => {
  assert.throws(() => loadConfig({ CRM_WEB_PORT: 'abc' }), (e: unknown) => e instanceof ConfigError && e.message === "CRM_WEB_PORT must be a port number (0-65535), got 'abc'");
  assert.throws(() => loadConfig({ CRM_DERIVED_CHECK_SECONDS: '0' }), /CRM_DERIVED_CHECK_SECONDS must be a positive number of seconds, got '0'/);
  assert.throws(() => loadConfig({ SMTP_URL: 'user:secret@mail' }), (e: unknown) => e instanceof Error && /SMTP_URL must be an smtp:\/\//.test(e.message) && !e.message.includes('secret@'));
  assert.throws(() => loadConfig({ CRM_WEB_PORT: '70000', CLICKHOUSE_URL: 'ch:8123' }), /invalid configuration:\n {2}CLICKHOUSE_URL must be an http\(s\) URL.*\n {2}CRM_WEB_PORT must be a port number/);
});
