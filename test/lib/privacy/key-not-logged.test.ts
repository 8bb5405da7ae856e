/**
 * The tombstone key (CRM_PRIVACY_KEY, or privacyKey in the data directory's secrets.json) is what
 * keeps erased people unrecognisable: whoever holds it can test a guessed e-mail against the
 * tombstones. The log's redaction (lib/log.ts) masks credentials by the names they go by; it knew
 * token, secret, password and api key, not the privacy key. Pure.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, redactText } from '../../../lib/log.ts';

const KEY = '5f0c1d9e8a7b6c5d4e3f2a1b0c9d8e7f';

test('the privacy key is masked in text and in logged objects, under the names it goes by', () => {
  for (const text of [`CRM_PRIVACY_KEY=${KEY}`, `{"privacyKey":"${KEY}"}`, `export CRM_PRIVACY_KEY='${KEY}'`])
    assert.ok(!redactText(text).includes(KEY), `${text} → ${redactText(text)}`);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = createLogger({ format: 'json', level: 'info', destination: sink });
  log.info({ secrets: { privacyKey: KEY }, env: { CRM_PRIVACY_KEY: KEY }, privacy_key: KEY }, 'starting');
  log.info(`CRM_PRIVACY_KEY=${KEY}`);
  const out = lines.join('');
  assert.ok(out.includes('starting'), out);
  assert.ok(!out.includes(KEY), `the key reached the log: ${out}`);
});

test('other keys are not masked: refresh, cache and sort keys stay readable', () => {
  assert.equal(redactText('refresh_key: every 5 s, cache key=abc'), 'refresh_key: every 5 s, cache key=abc');
});
