import type { IncomingMessage } from 'node:http';
import { createGunzip, type Gunzip } from 'node:zlib';
import { HttpError } from './errors.ts';

export type ContentCoding = 'identity' | 'gzip';

/** `Content-Encoding` → how to decode; anything but identity/gzip is refused before reading. */
export function contentCoding(header: string | undefined): ContentCoding {
  const value = (header ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  throw new HttpError(415, 'unsupported_encoding', `Content-Encoding "${value}" is not supported; send the body as is or gzip-compressed (Content-Encoding: gzip).`);
}

export function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'payload_too_large', `Request body is larger than the limit of ${formatBytes(maxBytes)} (after decompression). Split the batch into smaller requests.`);
}

/** Refuses a declared Content-Length over the limit before a byte is read. */
export function checkDeclaredLength(header: string | undefined, maxBytes: number): void {
  if (header === undefined) return;
  const length = Number(header);
  if (!Number.isSafeInteger(length) || length < 0) throw new HttpError(400, 'bad_request', 'Content-Length is not a number.');
  if (length > maxBytes) throw tooLarge(maxBytes);
}

/**
 * Reads a request body into memory, never more than `maxBytes` of it: neither on the wire nor after
 * gunzip (a few KB of gzip can expand to gigabytes). Over the limit it stops reading at once and
 * rejects with 413; the caller answers and closes the connection instead of draining the rest.
 */
export function readBody(req: IncomingMessage, coding: ContentCoding, maxBytes: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let wireBytes = 0;
    let bodyBytes = 0;
    let settled = false;
    const gunzip: Gunzip | undefined = coding === 'gzip' ? createGunzip() : undefined;

    const cleanup = (): void => {
      req.off('data', onWire);
      req.off('end', onWireEnd);
      req.off('error', onWireError);
      req.off('close', onWireClose);
      if (gunzip) {
        gunzip.off('data', onBody);
        gunzip.off('end', finish);
        gunzip.off('drain', onDrain);
        gunzip.destroy();
      }
    };
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      req.pause();
      reject(err);
    };
    const finish = (): void => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(Buffer.concat(chunks, bodyBytes));
    };
    const onBody = (chunk: Buffer): void => {
      bodyBytes += chunk.length;
      if (bodyBytes > maxBytes) return fail(tooLarge(maxBytes));
      chunks.push(chunk);
    };
    const onDrain = (): void => {
      req.resume();
    };
    function onWire(chunk: Buffer): void {
      wireBytes += chunk.length;
      if (wireBytes > maxBytes) return fail(tooLarge(maxBytes));
      if (!gunzip) return onBody(chunk);
      if (!gunzip.write(chunk)) req.pause();
    }
    function onWireEnd(): void {
      if (gunzip) gunzip.end();
      else finish();
    }
    function onWireError(err: Error): void {
      fail(new HttpError(400, 'bad_request', `Could not read the request body: ${err.message}`));
    }
    function onWireClose(): void {
      // 'close' before 'end': the client went away mid-body.
      if (!req.complete) fail(new HttpError(400, 'bad_request', 'The client closed the connection before the body was complete.'));
    }

    if (gunzip) {
      gunzip.on('data', onBody);
      gunzip.on('end', finish);
      gunzip.on('drain', onDrain);
      gunzip.on('error', () => fail(new HttpError(400, 'bad_request', 'The body is not valid gzip (Content-Encoding: gzip).')));
    }
    req.on('data', onWire);
    req.on('end', onWireEnd);
    req.on('error', onWireError);
    req.on('close', onWireClose);
  });
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
