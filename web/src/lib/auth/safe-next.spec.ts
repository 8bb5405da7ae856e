import { expect, test } from 'vitest';
import { safeNext } from './safe-next.ts';

test.each([
  ['/', '/'],
  ['/segments', '/segments'],
  ['/churn-risk?band=high&from=2026-01-01', '/churn-risk?band=high&from=2026-01-01'],
  ['/customers/C-1#sources', '/customers/C-1#sources'],
  ['/customers/a%20b', '/customers/a%20b'],
])('keeps the same-site path %j', (next, expected) => expect(safeNext(next)).toBe(expected));

test.each([
  null,
  undefined,
  '',
  'segments',
  '//evil.example',
  '///evil.example',
  '/\\evil.example',
  '\\\\evil.example',
  '/\t/evil.example',
  '/%09/evil.example',
  '/\n/evil.example',
  '/%0a/evil.example',
  '/\r/evil.example',
  '/%0D/evil.example',
  '/%5C/evil.example',
  '/%5cevil.example',
  '/%2F/evil.example',
  '/%2f%2fevil.example',
  '/ok\\..\\..\\evil',
  ' /\t/evil.example',
  '\t//evil.example',
  'javascript:alert(1)',
  '/javascript:alert(1)'.slice(1),
  'JAVASCRIPT:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'https://evil.example/',
  'http://x/',
  'https:evil.example',
  '/\u0000/evil.example',
  '/' + 'a'.repeat(3000),
  // Seventh security review: dot segments that resolve to a path starting with "//" ("/.//evil"
  // resolves to "//evil", which a browser reads as another host).
  '/.//evil.example',
  '/%2e//evil.example',
  '/%2E%2E//evil.example',
  '/a/..//evil.example',
  '/a/b/../..//evil.example',
  '/././/evil.example/path?q=1',
])('refuses %j', (next) => expect(safeNext(next)).toBe('/'));

// Tenth security review: after the sign-in post the browser follows `next` as a same-origin request,
// so a link to sign-in could start an export (or mint a token) that the Sec-Fetch-Site guard refuses
// from another site's link.
test.each([
  '/segments/export.csv?definition={"match":"all","groups":[]}',
  '/churn-risk/export.csv?band=high',
  '/api/cube-token',
  '/api/cube-token/',
  '/%73egments/export.csv',
  '/segments/export%2Ecsv',
  '/x/../segments/export.csv',
  '/./churn-risk/export.csv#x',
])('does not send the browser to a download or token: %j', (next) => expect(safeNext(next)).toBe('/'));

test('keeps the pages of those routes', () => {
  expect(safeNext('/segments?id=S-1')).toBe('/segments?id=S-1');
  expect(safeNext('/churn-risk')).toBe('/churn-risk');
});
