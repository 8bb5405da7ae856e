import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { brotliCompressSync, constants as zlib, createBrotliCompress, createDeflate, createGzip, deflateSync, gzipSync } from 'node:zlib';
import { type EngineError, httpStatusFor } from './errors.ts';

/** Headers every answer carries, as ClickHouse sends them. */
export interface ServerIdentity {
  displayName: string;
  version: string;
  timezone: string;
}

export interface ResponseContext {
  server: ServerIdentity;
  queryId: string;
  /** Output format name, echoed in X-ClickHouse-Format (Cube's driver checks it). */
  format: string;
  timezone: string;
  encoding?: { name: 'gzip' | 'deflate' | 'br'; level: number };
  /** Hold the whole result so that a late error still gets an error status (wait_end_of_query=1). */
  waitEndOfQuery: boolean;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

export interface Summary {
  readRows: number;
  readBytes: number;
  writtenRows: number;
  writtenBytes: number;
  resultRows: number;
  resultBytes: number;
}

export const emptySummary = (): Summary => ({ readRows: 0, readBytes: 0, writtenRows: 0, writtenBytes: 0, resultRows: 0, resultBytes: 0 });

/**
 * A result produced whole (not block by block) goes out in one piece with an exact summary when it
 * is smaller than this, and streams beyond (ClickHouse's 1 MiB HTTP write buffer). Block-by-block
 * results are flushed after every block instead, as a server's output format does (auto-flush).
 */
const RESPONSE_BUFFER_BYTES = 1 << 20;

export function contentTypeFor(format: string): string {
  const f = format.toLowerCase();
  if (/^(jsoneachrow|jsonlines|ndjson|jsonstringseachrow|jsoncompact(strings)?eachrow)/.test(f)) return 'application/x-ndjson; charset=UTF-8';
  if (f.startsWith('json')) return 'application/json; charset=UTF-8';
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('csv')) return `text/csv; charset=UTF-8; header=${f.includes('withnames') ? 'present' : 'absent'}`;
  if (f === 'xml') return 'application/xml; charset=UTF-8';
  if (/^(parquet|arrow|native|rowbinary|orc|avro|msgpack|protobuf|capnproto|bson|npy)/.test(f)) return 'application/octet-stream';
  return 'text/plain; charset=UTF-8';
}

function summaryHeader(s: Summary, startedAt: bigint): string {
  return JSON.stringify({
    read_rows: String(s.readRows),
    read_bytes: String(s.readBytes),
    written_rows: String(s.writtenRows),
    written_bytes: String(s.writtenBytes),
    total_rows_to_read: '0',
    result_rows: String(s.resultRows),
    result_bytes: String(s.resultBytes),
    elapsed_ns: String(process.hrtime.bigint() - startedAt),
  });
}

export function sendText(res: ServerResponse, status: number, text: string, server: ServerIdentity): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
    'X-ClickHouse-Server-Display-Name': server.displayName,
  });
  res.end(text);
}

/** The exception line as ClickHouse ends it; some chdb messages carry the version already. */
function exceptionText(error: EngineError, server: ServerIdentity): string {
  return `${/\(version [^)]*\)\s*$/.test(error.text) ? error.text : `${error.text} (version ${server.version})`}\n`;
}

/** An error before any result byte went out: the status and body ClickHouse would send. */
export function sendError(res: ServerResponse, error: EngineError, server: ServerIdentity, queryId?: string, encoding?: ResponseContext['encoding']): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // ClickHouse writes the exception through the same (compressed) output as a result would go.
  let body: Buffer = Buffer.from(exceptionText(error, server), 'utf8');
  if (encoding) body = compressSync(body, encoding);
  res.writeHead(httpStatusFor(error.code), {
    'Content-Type': 'text/plain; charset=UTF-8',
    'Content-Length': body.length,
    ...(encoding ? { 'Content-Encoding': encoding.name } : {}),
    'X-ClickHouse-Server-Display-Name': server.displayName,
    'X-ClickHouse-Exception-Code': String(error.code),
    ...(queryId ? { 'X-ClickHouse-Query-Id': queryId } : {}),
  });
  res.end(body);
}

function compressSync(data: Buffer, encoding: NonNullable<ResponseContext['encoding']>): Buffer {
  if (encoding.name === 'gzip') return gzipSync(data, { level: encoding.level });
  if (encoding.name === 'deflate') return deflateSync(data, { level: encoding.level });
  return brotliCompressSync(data, { params: { [zlib.BROTLI_PARAM_QUALITY]: encoding.level } });
}

function compressor(encoding: NonNullable<ResponseContext['encoding']>): Writable & NodeJS.ReadableStream {
  if (encoding.name === 'gzip') return createGzip({ level: encoding.level });
  if (encoding.name === 'deflate') return createDeflate({ level: encoding.level });
  return createBrotliCompress({ params: { [zlib.BROTLI_PARAM_QUALITY]: encoding.level } });
}

/**
 * Writes one query's result: a whole result buffered up to RESPONSE_BUFFER_BYTES and streamed
 * beyond, a block-by-block result streamed from its first block (flush), with the X-ClickHouse-*
 * headers and optional compression. A failure after bytes went out is appended
 * in the tagged form @clickhouse/client (and ClickHouse >= 25.11) uses for mid-stream errors.
 */
export class ResultWriter {
  #buffered: Buffer[] = [];
  #bufferedBytes = 0;
  #out: Writable | undefined;
  readonly #tag = randomBytes(8).toString('hex');
  readonly #startedAt = process.hrtime.bigint();

  constructor(
    private readonly res: ServerResponse,
    private readonly ctx: ResponseContext,
  ) {}

  async write(bytes: Uint8Array, progress: Summary): Promise<void> {
    if (bytes.length === 0) return;
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.#out) return this.#send(chunk);
    this.#buffered.push(chunk);
    this.#bufferedBytes += chunk.length;
    if (!this.ctx.waitEndOfQuery && this.#bufferedBytes >= RESPONSE_BUFFER_BYTES) {
      this.#startStreaming(progress);
      const held = this.#buffered.splice(0);
      this.#bufferedBytes = 0;
      for (const b of held) await this.#send(b);
    }
  }

  /**
   * The end of an engine block: a server's output format flushes here, so the status and headers
   * go out with the first block and every row so far reaches the client; a later failure is then
   * appended to the body, as on a server. Not with wait_end_of_query=1, which holds everything.
   */
  async flush(progress: Summary): Promise<void> {
    if (this.ctx.waitEndOfQuery) return;
    if (!this.#out) {
      if (this.#bufferedBytes === 0) return;
      this.#startStreaming(progress);
      const held = this.#buffered.splice(0);
      this.#bufferedBytes = 0;
      for (const b of held) await this.#send(b);
    }
    const out = this.#out as Writable & { flush?: (callback?: () => void) => void };
    // A compressor holds its input until it has enough; a server's compressed output is flushed per block too.
    if (out !== this.res && typeof out.flush === 'function') out.flush();
  }

  async end(summary: Summary): Promise<void> {
    if (this.#out) {
      this.#out.end();
    } else {
      let body = this.#buffered.length === 1 ? this.#buffered[0] : Buffer.concat(this.#buffered, this.#bufferedBytes);
      if (this.ctx.encoding) body = compressSync(body, this.ctx.encoding);
      this.res.writeHead(200, { ...this.#headers(summary), 'Content-Length': body.length });
      this.res.end(body);
    }
    if (!this.res.writableFinished) await once(this.res, 'finish', { signal: this.ctx.signal });
  }

  fail(error: EngineError): void {
    if (!this.#out) {
      sendError(this.res, error, this.ctx.server, this.ctx.queryId, this.ctx.encoding);
      return;
    }
    const message = exceptionText(error, this.ctx.server);
    const length = Buffer.byteLength(message);
    this.#out.end(`\r\n__exception__\r\n${this.#tag}\r\n${message}${length} ${this.#tag}\r\n__exception__\r\n`);
  }

  #headers(summary: Summary): Record<string, string> {
    return {
      'Content-Type': contentTypeFor(this.ctx.format),
      'X-ClickHouse-Server-Display-Name': this.ctx.server.displayName,
      'X-ClickHouse-Query-Id': this.ctx.queryId,
      'X-ClickHouse-Format': this.ctx.format,
      'X-ClickHouse-Timezone': this.ctx.timezone,
      'X-ClickHouse-Exception-Tag': this.#tag,
      'X-ClickHouse-Summary': summaryHeader(summary, this.#startedAt),
      ...(this.ctx.encoding ? { 'Content-Encoding': this.ctx.encoding.name } : {}),
    };
  }

  #startStreaming(progress: Summary): void {
    this.res.writeHead(200, this.#headers(progress));
    if (this.ctx.encoding) {
      const z = compressor(this.ctx.encoding);
      z.pipe(this.res);
      this.#out = z;
    } else {
      this.#out = this.res;
    }
  }

  async #send(chunk: Buffer): Promise<void> {
    const out = this.#out!;
    // Waiting for 'drain' keeps at most a buffer's worth in memory however slow the client reads.
    if (!out.write(chunk)) await once(out, 'drain', { signal: this.ctx.signal });
  }
}
