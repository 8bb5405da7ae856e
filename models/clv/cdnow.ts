/**
 * The CDNOW sample (Fader & Hardie): 2,357 customers acquired in Q1 1997 with all their purchases to
 * 1998-06-30. Kept outside the repository, in ../shared/data/cdnow from the repository root
 * (override with CRM_CDNOW_FILE).
 * Lines: customer id, an unused id, date YYYYMMDD, number of CDs, dollar value, separated by
 * whitespace (one line uses a tab; the file has CRLF line ends).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../lib/config/schema.ts';
import { ClvModelError } from './errors.ts';
import type { Transaction } from './rfm-summary.ts';

/** Where the sample is read from: $CRM_CDNOW_FILE, else ../shared/data/cdnow/CDNOW_sample.txt from the repository root. */
export const CDNOW_FILE =
  loadConfig().CRM_CDNOW_FILE || fileURLToPath(new URL('../../../shared/data/cdnow/CDNOW_sample.txt', import.meta.url));
/** End of the calibration period of the published fits (39 weeks from 1997-01-01). */
export const CDNOW_CALIBRATION_END = '1997-09-30';
export const CDNOW_HOLDOUT_END = '1998-06-30';

export interface CdnowTransaction extends Transaction<string> {
  /** Number of CDs bought. */
  quantity: number;
}

export function cdnowAvailable(path: string = CDNOW_FILE): boolean {
  return existsSync(path);
}

export function loadCdnow(path: string = CDNOW_FILE): CdnowTransaction[] {
  if (!existsSync(path)) {
    throw new ClvModelError('INVALID_INPUT', `CDNOW sample not found at ${path} (expected in ../shared/data/cdnow/ next to the repository)`);
  }
  return parseCdnow(readFileSync(path, 'utf8'));
}

export function parseCdnow(text: string): CdnowTransaction[] {
  const out: CdnowTransaction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    const quantity = Number(f[3]);
    const amount = Number(f[4]);
    if (f.length !== 5 || !/^\d{8}$/.test(f[2]) || !Number.isFinite(quantity) || !Number.isFinite(amount)) {
      throw new ClvModelError('INVALID_INPUT', `CDNOW line ${i + 1} is not "id id YYYYMMDD cds amount": ${JSON.stringify(line)}`);
    }
    const d = f[2];
    out.push({ customerId: f[0], date: `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`, quantity, amount });
  }
  return out;
}
