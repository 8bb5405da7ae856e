import { createHmac } from 'node:crypto';
import { dataDirFrom, localSecrets } from '../config.ts';
import { loadConfig } from '../config/schema.ts';

/**
 * Tombstones of erased people (issue 16, item 2): a keyed hash per identifier, so the warehouse can
 * recognise the person's records in a file loaded again without keeping anything that identifies
 * them. A plain hash of an e-mail or a customer id is reversible by guessing (ids are sequential,
 * e-mails are in leaked lists); an HMAC with a secret key is not, as long as the key stays secret.
 *
 * Each value is normalised before hashing the way ingest matches people: e-mails and phones in
 * their matching form (ingest/identity/normalize-*.ts give the same strings ingest compares), a
 * source record as its source and id.
 */
export const TOMBSTONE_KINDS = ['customer_id', 'email', 'phone', 'source_record'] as const;
export type TombstoneKind = (typeof TOMBSTONE_KINDS)[number];

/** A row that checks the key: the hash of a fixed text, so a load with another key fails instead of forgetting every erasure. */
export const KEY_CHECK_KIND = 'key_check';
const KEY_CHECK_TEXT = 'crm privacy key check';

export function tombstoneHash(key: string, kind: TombstoneKind | typeof KEY_CHECK_KIND, value: string): string {
  return createHmac('sha256', key).update(`${kind}\u001f${value}`).digest('hex');
}

export const keyCheck = (key: string): string => tombstoneHash(key, KEY_CHECK_KIND, KEY_CHECK_TEXT);

/** The value a source record is hashed as. */
export const sourceRecordValue = (source: string, sourceId: string): string => `${source}\u001f${sourceId}`;

/**
 * The key: CRM_PRIVACY_KEY, else the one generated into `<CRM_DATA_DIR>/secrets.json` like the
 * product's other local secrets (the embedded default). `dataDir` overrides CRM_DATA_DIR (the
 * dashboard's bundle resolves default paths from its own location, so it passes its own).
 */
export function privacyKey(env: Record<string, string | undefined> = process.env, dataDir?: string): string {
  const set = loadConfig(env).CRM_PRIVACY_KEY;
  return set || localSecrets(dataDir ?? dataDirFrom(env), env).privacyKey;
}
