import { expect, test } from 'vitest';
import { escapeHtml } from './escape-html.ts';

test.each([
  ['Price', 'Price'],
  ['<b>x</b>', '&lt;b&gt;x&lt;/b&gt;'],
  ['<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
  ['a & b', 'a &amp; b'],
  ['&lt;', '&amp;lt;'],
  [`"quoted" 'single' \`tick\``, '&quot;quoted&quot; &#39;single&#39; &#96;tick&#96;'],
  ['Zürich → €1,5 m', 'Zürich → €1,5 m'],
  [42, '42'],
  [null, ''],
  [undefined, ''],
])('escapeHtml(%j) = %j', (value, expected) => expect(escapeHtml(value)).toBe(expected));
