import type { ClickHouseClient } from '@clickhouse/client';
import { createHash } from 'node:crypto';
import { checkName, qualified } from '../../lib/warehouse/sql.ts';
import { HttpError } from './errors.ts';

/**
 * Idempotency keys (the `Idempotency-Key` header, as in Stripe's API and the IETF httpapi draft).
 *
 * With a key, the first answer is stored in `ingest_requests` with the sha256 of the request; a
 * retry with the same key and the same request gets that answer again and loads nothing, the same
 * key with a different request is a conflict. Without a key a retried batch is still not double
 * counted — every record is upserted by (source, id), so the retry reports it as a duplicate and
 * the table keeps one row — but the client gets a fresh summary instead of the first one and the
 * batch is validated and written again; hence "optional but recommended".
 */
export const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Header → key. The draft sends it as a quoted string, most clients unquoted: accept both. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) throw invalidKey('send one Idempotency-Key header, not several');
  let key = header.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) key = key.slice(1, -1);
  if (!KEY_PATTERN.test(key)) throw invalidKey('use 1-255 visible ASCII characters, e.g. a UUID');
  return key;
}

function invalidKey(why: string): HttpError {
  return new HttpError(400, 'invalid_idempotency_key', `Idempotency-Key is not valid: ${why}.`);
}

/**
 * Where a key is stored. The ingest token's keys are stored as sent (as before source tokens, so
 * its senders' retries keep replaying); a source token's under `source:<source> <key>` — a key
 * cannot hold a space, so no other sender's key can name that row. Tenth security review: with one
 * namespace, a source token's holder could send another sender's key and learn from the 422
 * whether it had been used.
 */
export function storedKey(key: string, scope: string | undefined): string {
  return scope === undefined ? key : `source:${scope} ${key}`;
}

/**
 * A source token's key stored before keys were scoped (stored as sent). It counts only as a replay
 * of the very same request, whose body its sender holds anyway; any other request under it is
 * another sender's business, so it is not a conflict to report.
 */
export function legacyReplay(prior: StoredRequest | undefined, requestSha256: string): StoredRequest | undefined {
  return prior && prior.requestSha256 === requestSha256 ? prior : undefined;
}

/**
 * What makes two requests "the same": entity, the URL's source and the decoded body bytes (so the
 * same batch gzip-compressed differently is still the same request).
 */
export function requestDigest(entity: string, querySource: string | undefined, body: Buffer): string {
  return createHash('sha256')
    .update(`${entity}\n${querySource ?? ''}\n`)
    .update(body)
    .digest('hex');
}

/**
 * Runs callbacks one after another per key, so two racing copies of a request cannot both pass the
 * "seen this key?" check. In-process only: with several server processes behind one address, a
 * race between processes can load a batch twice — harmless for the data (upserts by id), but the
 * second answer then reports duplicates instead of replaying the first. Route by key (sticky
 * balancing on the header) when that matters.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Keys with a callback running or waiting (for tests and metrics). */
  get size(): number {
    return this.#tails.size;
  }
}

export interface StoredRequest {
  entity: string;
  batchId: string;
  requestSha256: string;
  /** The JSON body answered the first time. */
  response: string;
}

export interface IdempotencyStore {
  find(key: string): Promise<StoredRequest | undefined>;
  save(key: string, request: StoredRequest): Promise<void>;
}

export function memoryIdempotencyStore(): IdempotencyStore & { rows: Map<string, StoredRequest> } {
  const rows = new Map<string, StoredRequest>();
  return {
    rows,
    async find(key) {
      return rows.get(key);
    },
    async save(key, request) {
      rows.set(key, request);
    },
  };
}

/** `ingest_requests` in the warehouse (migration 001). Values are always bound, never pasted. */
export function warehouseIdempotencyStore(client: ClickHouseClient, database: string): IdempotencyStore {
  const table = qualified(checkName(database), 'ingest_requests');
  return {
    async find(key) {
      const rs = await client.query({
        query: `SELECT entity, batch_id, request_sha256, response FROM ${table}
                WHERE idempotency_key = {key:String} ORDER BY version DESC LIMIT 1`,
        query_params: { key },
        format: 'JSONEachRow',
      });
      const rows = await rs.json<{ entity: string; batch_id: string; request_sha256: string; response: string }>();
      const row = rows[0];
      return row && { entity: row.entity, batchId: row.batch_id, requestSha256: row.request_sha256, response: row.response };
    },
    async save(key, request) {
      await client.insert({
        table,
        values: [{
          idempotency_key: key,
          entity: request.entity,
          batch_id: request.batchId,
          request_sha256: request.requestSha256,
          response: request.response,
          version: Date.now(),
        }],
        format: 'JSONEachRow',
      });
    },
  };
}
