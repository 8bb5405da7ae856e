/**
 * Alert rules page end to end (Chromium, demo data): an administrator changes the churn threshold
 * and the owners who get digests, saves, and the rules file holds exactly those values; an invalid
 * value is refused with the field named and the file untouched; other roles get 403 (page and
 * form action), a signed-out visitor is sent to sign in, a cross-site post is refused.
 *
 * The dashboard's data directory (CRM_DATA_DIR) is a temp dir for this process, so the rules file
 * edited here is never the one in ./.data. Needs /usr/bin/chromium (apt-get install -y chromium).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../lib/config.ts';
import { defaultRules, readRules, rulesPath, writeRules, type AlertRules } from '../../alerts/rules.ts';
import { chromiumMissing, launchChromium, signIn, watchedPage } from './browser.ts';
import { startProductStack, type ProductStack } from './stack.ts';

const SHOTS = join(PROJECT_ROOT, 'test-artifacts', 'screenshots');
const PASSWORD = 'demo1234';
// The user's own rules file: must be exactly as it was after the run.
const userRulesFile = rulesPath(join(PROJECT_ROOT, '.data'));
const fingerprint = (file: string): string => (existsSync(file) ? `${statSync(file).mtimeMs}:${readFileSync(file, 'utf8')}` : 'absent');

let stack: ProductStack;
let browser: Browser;
let dataDir: string;
let file: string;
let userRulesBefore: string;
const savedEnv = process.env.CRM_DATA_DIR;
const contexts: BrowserContext[] = [];

async function newPage(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  return watchedPage(context);
}

describe('alert rules page end to end', { timeout: 1_800_000 }, () => {
  before(async () => {
    const missing = chromiumMissing();
    if (missing) throw new Error(missing);
    mkdirSync(SHOTS, { recursive: true });
    userRulesBefore = fingerprint(userRulesFile);
    dataDir = mkdtempSync(join(tmpdir(), 'crm-alert-rules-'));
    // Read by web/server.ts when it creates the web context, i.e. inside startProductStack.
    process.env.CRM_DATA_DIR = dataDir;
    file = rulesPath(dataDir);
    // Start from rules that differ from the defaults, so the form provably shows the file.
    writeRules(dataDir, { ...defaultRules({}), cooldownDays: 21, minValueAtRisk: 100 });
    stack = await startProductStack({ scale: 'small' });
    browser = await launchChromium();
  }, { timeout: 1_200_000 });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await stack?.close();
    if (savedEnv === undefined) delete process.env.CRM_DATA_DIR;
    else process.env.CRM_DATA_DIR = savedEnv;
    rmSync(dataDir, { recursive: true, force: true });
    assert.equal(fingerprint(userRulesFile), userRulesBefore, 'the rules file in ./.data was not touched');
  });

  test('a signed-out visitor is sent to sign in', async () => {
    const res = await fetch(`${stack.baseUrl}/alerts/rules`, { redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `/signin?next=${encodeURIComponent('/alerts/rules')}`);
  });

  test('an admin changes the threshold and the owners; the file holds exactly those values', async () => {
    const { page, errors } = await newPage();
    await signIn(page, stack.baseUrl, 'admin@demo.local', PASSWORD, '/alerts');
    // Reached from the alerts inbox (and the navigation).
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alert rules' }).waitFor();
    await page.getByTestId('alert-rules-link').click();
    await page.waitForURL((u) => u.pathname === '/alerts/rules');
    await page.waitForSelector('html[data-hydrated="true"]');

    const before = readRules(dataDir);
    assert.equal(await page.getByTestId('rules-file').textContent(), file, 'the page names the temp rules file');
    // The form shows the rules in force; every input is reachable through its label.
    assert.equal(await page.getByLabel('Churn probability threshold').inputValue(), String(before.probabilityThreshold));
    assert.equal(await page.getByLabel('Rise since the last alert').inputValue(), String(before.minRiseSinceLastAlert));
    assert.equal(await page.getByLabel('Cooldown per customer (days)').inputValue(), '21');
    assert.equal(await page.getByLabel('Minimum value at risk (EUR)').inputValue(), '100');
    // Value at risk has one definition (issue 15): no basis to choose; the file's old value travels along.
    assert.equal(await page.locator('input[name=valueBasis]').inputValue(), before.valueBasis);
    assert.equal(await page.getByLabel('Customers listed per digest').inputValue(), String(before.maxCustomersPerDigest));
    assert.equal(await page.getByLabel('Digest schedule (cron)').inputValue(), before.schedule.cron);
    assert.equal(await page.getByLabel('Time zone').inputValue(), before.schedule.timezone);
    assert.equal(await page.getByLabel('Model refresh schedule (cron)').inputValue(), before.rescore.cron);
    assert.equal(await page.getByLabel('Maximum score age (hours)').inputValue(), String(before.rescore.maxScoreAgeHours));
    assert.ok(await page.getByLabel('All account owners').isChecked());
    assert.ok(await page.getByLabel('Owner ids').isDisabled(), 'the list is off while "all" is chosen');

    // Keyboard only: tab into the owners choice, pick "only these owners", type the ids, save with Enter.
    await page.getByLabel('Churn probability threshold').fill('0.75');
    await page.getByLabel('All account owners').focus();
    await page.keyboard.press('ArrowDown');
    assert.ok(await page.getByLabel('Only these owners').isChecked());
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'rule-owners');
    await page.keyboard.type('U-OWN-03, U-OWN-01');
    await page.getByRole('button', { name: 'Save rules' }).focus();
    await page.keyboard.press('Enter');
    const saved = page.getByTestId('rules-saved');
    await saved.waitFor({ timeout: 30_000 });
    assert.match((await saved.textContent()) ?? '', /next run/);

    const expected: AlertRules = { ...before, probabilityThreshold: 0.75, owners: ['U-OWN-03', 'U-OWN-01'] };
    assert.deepEqual(readRules(dataDir), expected, 'the file holds exactly the edited rules');
    assert.equal(readFileSync(file, 'utf8'), `${JSON.stringify(expected, null, 2)}\n`);
    assert.deepEqual(readdirSync(dataDir).filter((f) => f.includes('alert-rules')), ['alert-rules.json'], 'no temp file left behind by the atomic write');
    await page.screenshot({ path: join(SHOTS, 'alert-rules.png'), fullPage: true });

    // A fresh visit shows what was saved.
    await page.reload();
    await page.waitForSelector('html[data-hydrated="true"]');
    assert.equal(await page.getByLabel('Churn probability threshold').inputValue(), '0.75');
    assert.ok(await page.getByLabel('Only these owners').isChecked());
    assert.equal(await page.getByLabel('Owner ids').inputValue(), 'U-OWN-03\nU-OWN-01');

    // An invalid value: refused with the field named, the input marked, the file unchanged.
    const fileBefore = readFileSync(file, 'utf8');
    await page.getByLabel('Churn probability threshold').fill('1.5');
    await page.getByLabel('Customers listed per digest').fill('40');
    await page.getByRole('button', { name: 'Save rules' }).click();
    const fieldError = page.getByTestId('rule-probabilityThreshold-error');
    await fieldError.waitFor({ timeout: 30_000 });
    assert.equal(await fieldError.textContent(), 'Churn probability threshold: must be a probability in (0, 1]');
    const summary = page.getByTestId('rules-errors');
    assert.match((await summary.textContent()) ?? '', /Nothing was saved: 1 value needs fixing\.\s*Churn probability threshold: must be a probability in \(0, 1\]/);
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'rules-errors', 'focus moves to the list of errors');
    const threshold = page.getByLabel('Churn probability threshold');
    assert.equal(await threshold.getAttribute('aria-invalid'), 'true');
    assert.match((await threshold.getAttribute('aria-describedby')) ?? '', /rule-probabilityThreshold-error/);
    assert.equal(await threshold.inputValue(), '1.5', 'what was typed is kept');
    assert.equal(await page.getByLabel('Customers listed per digest').inputValue(), '40');
    assert.equal(await page.getByTestId('rules-saved').count(), 0);
    assert.equal(readFileSync(file, 'utf8'), fileBefore, 'the file is unchanged');
    assert.deepEqual(readRules(dataDir), expected);
    await page.screenshot({ path: join(SHOTS, 'alert-rules-invalid.png'), fullPage: true });

    // A cross-site post, even with the admin's cookie, is refused (SvelteKit's CSRF origin check).
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const forged = await fetch(`${stack.baseUrl}/alerts/rules?/save`, {
      method: 'POST',
      headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'probabilityThreshold=0.1&ownersMode=all',
    });
    assert.equal(forged.status, 403);
    assert.equal(readFileSync(file, 'utf8'), fileBefore);
    assert.deepEqual(errors, [], 'no console errors');
  });

  test('other roles get 403 for the page and the form action, and no link to it', async () => {
    const fileBefore = readFileSync(file, 'utf8');
    for (const email of ['exec@demo.local', 'owner01@demo.local']) {
      const { page } = await newPage();
      await signIn(page, stack.baseUrl, email, PASSWORD);
      assert.equal(await page.getByRole('link', { name: 'Alert rules' }).count(), 0, `${email}: no link in the navigation`);
      const res = await page.goto(`${stack.baseUrl}/alerts/rules`);
      assert.equal(res?.status(), 403, email);
      assert.match((await page.textContent('h1')) ?? '', /Not available for your role/);
      const post = await page.request.post(`${stack.baseUrl}/alerts/rules?/save`, {
        headers: { origin: stack.baseUrl },
        form: { probabilityThreshold: '0.1', ownersMode: 'all' },
        maxRedirects: 0,
      });
      assert.equal(post.status(), 403, `${email}: the form action is refused`);
    }
    assert.equal(readFileSync(file, 'utf8'), fileBefore, 'the file is unchanged');
  });
});
