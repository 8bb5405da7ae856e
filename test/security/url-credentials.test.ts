/**
 * Fifth security review: a password inside a URL (`https://crm:S3cret@ch.example:8443`, the form
 * @clickhouse/client, nodemailer and most tools accept) reached the logs and the terminal. The
 * configuration check echoed a malformed non-secret variable whole ("CLICKHOUSE_URL must be an
 * http(s) URL, got 'htps://crm:S3cret@…'"), and the log's redaction masked Bearer/Basic values,
 * JWTs, key=value pairs and query strings but not the user-info part of a URL, so `npm start`'s
 * "ClickHouse at <url>" line, or an error quoting a webhook or SMTP URL, printed the password.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadVariables } from '../../lib/config/schema.ts';
import { redact, redactText } from '../../lib/log.ts';

const PASSWORD = 'S3cret-pw_42';

test('the user-info password of a URL is masked in log text and fields', () => {
  for (const url of [`https://crm:${PASSWORD}@ch.example:8443`, `smtp://mailer:${PASSWORD}@mail.example:587/`, `http://a%40b:${PASSWORD}@127.0.0.1:8123/?database=crm`]) {
    const text = redactText(`ClickHouse at ${url}, next`);
    assert.doesNotMatch(text, new RegExp(PASSWORD), text);
    // What is left still says where: scheme, user and host.
    assert.match(text, /^ClickHouse at (https|smtp|http):\/\/[^:]+:\[Redacted\]@[\w.]+(:\d+)?/, text);
    assert.doesNotMatch(JSON.stringify(redact({ msg: url, url, err: new Error(`connect ECONNREFUSED ${url}`) })), new RegExp(PASSWORD));
  }
  // No user-info: unchanged.
  assert.equal(redactText('see https://docs.example/x and mailto:a@b.example'), 'see https://docs.example/x and mailto:a@b.example');
});

test('a malformed URL variable is named without the password it carries', () => {
  assert.throws(
    () => loadVariables(['CLICKHOUSE_URL'], { CLICKHOUSE_URL: `htps://crm:${PASSWORD}@ch.example:8443` }),
    (err: Error) => {
      assert.match(err.message, /CLICKHOUSE_URL must be an http\(s\) URL/);
      assert.doesNotMatch(err.message, new RegExp(PASSWORD), err.message);
      return true;
    },
  );
});
