/**
 * Coded errors of the ingest endpoint. Every failure leaves as `{"error": {"code", "message", "requestId"}}`
 * with a status from here; nothing else (no stack, no engine message) reaches the client.
 */
export type ErrorCode =
  | 'not_found'
  | 'method_not_allowed'
  | 'unauthorized'
  | 'invalid_token'
  | 'forbidden_source'
  | 'forbidden_field'
  | 'unknown_entity'
  | 'unsupported_media_type'
  | 'unsupported_encoding'
  | 'bad_request'
  | 'invalid_json'
  | 'invalid_idempotency_key'
  | 'payload_too_large'
  | 'too_many_records'
  | 'idempotency_conflict'
  | 'busy'
  | 'internal';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface ErrorBody {
  /** requestId: the x-request-id of the answer, under which the server log has the details. */
  error: { code: ErrorCode; message: string; requestId?: string };
}

export function errorBody(err: HttpError, requestId?: string): ErrorBody {
  return { error: { code: err.code, message: err.message, ...(requestId ? { requestId } : {}) } };
}
