import { createHash } from 'node:crypto';

/**
 * Customer ids are `C-` + 12 Crockford base32 characters: the first 60 bits of
 * sha256("<source>\x1f<source_id>") of the record that founded the customer (for a new cluster:
 * the smallest source:source_id of its records). Fixed length (14 bytes), stable forever, readable,
 * and the same whether a customer record or a fact's unmatched reference creates it first.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const CUSTOMER_ID_LENGTH = 14;

export function customerIdFor(source: string, sourceId: string): string {
  const d = createHash('sha256').update(`${source}\u001f${sourceId}`).digest();
  // 60 bits = 12 groups of 5 bits, read from the first 8 bytes.
  let hi = d.readUInt32BE(0);
  let lo = d.readUInt32BE(4);
  let out = '';
  for (let i = 0; i < 12; i++) {
    out += ALPHABET[hi >>> 27];
    hi = ((hi << 5) | (lo >>> 27)) >>> 0;
    lo = (lo << 5) >>> 0;
  }
  return `C-${out}`;
}

export function isCustomerId(v: string): boolean {
  return /^C-[0-9A-HJKMNP-TV-Z]{12}$/.test(v);
}
