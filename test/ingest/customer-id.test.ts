/**
 * Customer ids key every warehouse already loaded: they must stay byte-identical whatever computes
 * the digest. Pinned values (computed with the createHash implementation before the one-shot hash),
 * and the test's own reading of the rule (sha256 of `source \x1f id`, first 60 bits in Crockford
 * base32) over many references, including non-ASCII, tabs and backslashes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { customerIdFor, isCustomerId } from '../../ingest/identity/customer-id.ts';

const PINNED: [string, string, string][] = [
  ['shop', '1004', 'C-5KXQJ7TQ5XQ4'],
  ['cdnow-sample', '00004', 'C-RAN5VJJSG9F7'],
  ['crm', 'Müller-Ä', 'C-258JY6FP4YR4'],
  ['', '', 'C-ZZK7KEW33JAV'],
  ['shop', 'a\tb\\c', 'C-BNKY1QVMDFX7'],
  ['src', '😀', 'C-ESVGHPPXP1PN'],
  ['s\u001fx', 'y', 'C-0K2AD7JTPMCF'],
];

/** The rule read bit by bit: a string of 0/1 from the digest, cut into 5-bit groups. */
function expected(source: string, ref: string): string {
  const d = createHash('sha256').update(Buffer.from(`${source}\u001f${ref}`, 'utf8')).digest();
  const bits = [...d.subarray(0, 8)].map((b) => b.toString(2).padStart(8, '0')).join('');
  let id = 'C-';
  for (let i = 0; i < 60; i += 5) id += '0123456789ABCDEFGHJKMNPQRSTVWXYZ'[parseInt(bits.slice(i, i + 5), 2)];
  return id;
}

describe('customerIdFor', () => {
  it('gives the pinned ids', () => {
    for (const [source, ref, id] of PINNED) assert.equal(customerIdFor(source, ref), id, `${source}/${ref}`);
  });

  it('equals the rule computed independently for many references', () => {
    for (let i = 0; i < 2_000; i++) {
      const source = ['shop', 'crm', 'Ünïcode', ''][i % 4];
      const ref = `${i % 7 === 0 ? 'ä€' : ''}CU${i * 7919}${i % 5 === 0 ? '\t\\' : ''}`;
      const id = customerIdFor(source, ref);
      assert.equal(id, expected(source, ref), `${source}/${ref}`);
      assert.ok(isCustomerId(id));
    }
  });
});
