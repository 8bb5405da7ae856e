import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { RAW_TOKEN } from './csv.ts';

export interface SinkResult {
  /** Data lines written (header excluded). */
  rows: number;
  bytes: number;
  sha256: string;
}

/**
 * A line-oriented file writer with bounded memory. Lines are encoded straight into a chunk Buffer
 * (no big intermediate strings: flattening them cost more than generating the data); full chunks go
 * to the stream, and when the stream's own buffer is full `flush()` waits for 'drain'
 * (backpressure), so a fast generator never piles gigabytes up in memory. It hashes what it writes,
 * for the manifest and the determinism test.
 */
export class FileSink {
  private buf: Buffer;
  private pos = 0;
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly stream: WriteStream;
  private readonly hash: Hash = createHash('sha256');
  private error: Error | undefined;
  rows = 0;
  bytes = 0;

  constructor(readonly path: string, header?: string, private readonly chunkBytes = 1 << 20) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
    this.stream = createWriteStream(path, { highWaterMark: 4 * chunkBytes });
    this.stream.on('error', (err) => {
      this.error = err;
    });
    if (header !== undefined) this.put(header + '\n');
  }

  line(text: string): void {
    this.put(text);
    this.buf[this.pos++] = 10;
    this.rows++;
  }

  /** A line in which RAW_TOKEN stands for `raw` bytes (deliberately invalid UTF-8). */
  lineWithRaw(text: string, raw: Uint8Array): void {
    const at = text.indexOf(RAW_TOKEN);
    if (at < 0) throw new Error('lineWithRaw: the line has no RAW_TOKEN');
    this.put(text.slice(0, at));
    this.room(raw.length);
    this.buf.set(raw, this.pos);
    this.pos += raw.length;
    this.line(text.slice(at + RAW_TOKEN.length));
  }

  get full(): boolean {
    return this.pendingBytes + this.pos >= this.chunkBytes;
  }

  async flush(): Promise<void> {
    if (this.error) throw this.error;
    this.cut();
    if (this.pending.length === 0) return;
    const chunk = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
    if (this.error) throw this.error;
  }

  async close(): Promise<SinkResult> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
    });
    if (this.error) throw this.error;
    return { rows: this.rows, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** Stops without finishing the file (generation failed). */
  destroy(): void {
    this.stream.destroy();
  }

  private put(text: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit; +1 for the line end.
    this.room(text.length * 3 + 1);
    this.pos += this.buf.write(text, this.pos);
  }

  private room(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    this.cut();
    if (bytes > this.buf.length) this.buf = Buffer.allocUnsafe(bytes);
  }

  private cut(): void {
    if (this.pos === 0) return;
    this.pending.push(this.buf.subarray(0, this.pos));
    this.pendingBytes += this.pos;
    this.buf = Buffer.allocUnsafe(Math.max(this.chunkBytes, this.buf.length));
    this.pos = 0;
  }
}
