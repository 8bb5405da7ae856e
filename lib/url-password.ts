/**
 * `scheme://user:password@host` with the password masked, wherever such a URL appears in a text.
 * @clickhouse/client, nodemailer and most tools take credentials in a URL's user-info, so a URL
 * variable (CLICKHOUSE_URL, SMTP_URL, a webhook) may carry a password though it is not declared
 * secret; the log's redaction (lib/log.ts) and the configuration's error messages
 * (lib/config/schema.ts) both mask it (fifth security review). No imports: both use it.
 */
const USERINFO_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@'"]*):[^\s/?#@'"]*@/gi;

export function maskUrlPasswords(text: string, mask = '[Redacted]'): string {
  return text.replace(USERINFO_PASSWORD, `$1:${mask}@`);
}
