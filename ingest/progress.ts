import type { IngestProgress } from './types.ts';

/**
 * Progress on stderr: a redrawn bar on a terminal, a plain line every 5 s otherwise (logs, CI).
 */
export class ProgressReporter {
  #last = 0;
  #drawn = false;
  readonly #tty: boolean;

  constructor(
    readonly stream: NodeJS.WriteStream,
    readonly label: string,
    readonly intervalMs = stream.isTTY ? 150 : 5000,
  ) {
    this.#tty = stream.isTTY === true;
  }

  update(p: IngestProgress): void {
    const now = Date.now();
    if (now - this.#last < this.intervalMs) return;
    this.#last = now;
    const rate = p.elapsedMs > 0 ? Math.round((p.rowsRead * 1000) / p.elapsedMs) : 0;
    const frac = p.bytesTotal > 0 ? Math.min(1, p.bytesRead / p.bytesTotal) : 0;
    const rows = `${p.rowsRead.toLocaleString('en-US')} rows, ${rate.toLocaleString('en-US')} rows/s, ${p.rowsRejected.toLocaleString('en-US')} rejected`;
    if (this.#tty) {
      const width = 30;
      const fill = Math.round(frac * width);
      const eta = frac > 0.01 ? Math.round(((1 - frac) * p.elapsedMs) / frac / 1000) : undefined;
      const line = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${rows}${eta !== undefined ? `, ~${eta}s left` : ''}`;
      this.stream.write(`\r${line.slice(0, (this.stream.columns ?? 120) - 1)}\u001b[K`);
      this.#drawn = true;
    } else {
      this.stream.write(`${this.label}: ${p.bytesTotal > 0 ? `${(frac * 100).toFixed(0)}%, ` : ''}${rows}\n`);
    }
  }

  done(): void {
    if (this.#drawn) this.stream.write('\r\u001b[K');
  }
}
