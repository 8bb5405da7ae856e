import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { open as openFile, readdir, readlink, type FileHandle } from 'node:fs/promises';

/**
 * One engine insert fed batch after batch while the load goes on encoding: the payloads are written
 * into a named pipe that `INSERT INTO t (cols) SELECT * FROM file('<pipe>', TabSeparated,
 * '<structure>')` reads (issue 17 item 6). Used by file loads whose engine reads this machine's
 * files (LocalPayloads decided that) and runs in this very process (see open()), for the entity's
 * own table.
 *
 * Why: with one insert per batch the engine parsed, sorted and wrote each batch while the job
 * waited for it, and every batch made one part per partition that background merges then
 * rewrote. Through a pipe the engine parses while the job encodes the next batch (two cores, both
 * busy) and the whole load is one insert, like the engine's own `file()` load of the same CSV.
 *
 * Rows are committed by the engine block by block; a batch's counts are confirmed when the insert
 * that carried it returned (BatchWriter closes the stream before anything reads the table).
 * A writer killed mid-row leaves a cut last row: the statement keeps only rows that end with the
 * one-byte row-end marker (row-end.ts; a cut before the marker's field fails the parse, a cut just
 * before the marker leaves it empty and fails the comparison), so no truncated row is ever stored.
 */
export class PayloadStream {
  #file: FileHandle | undefined;
  readonly #insert: Promise<void>;
  #error: unknown;
  /** Bytes written so far (callers end a stream after a limit and open the next). */
  bytes = 0;

  private constructor(insert: Promise<void>) {
    this.#insert = insert;
    insert.catch((e: unknown) => {
      this.#error ??= e;
    });
  }

  /** Makes the named pipe (0600) the streams of one load share, one after the other. */
  static async makePipe(path: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      execFile('mkfifo', ['-m', '600', path], (e) => (e ? reject(e) : resolve()));
    });
  }

  /**
   * Starts `statement` (an insert reading `pipe`) and opens the pipe for writing once the engine
   * has opened it for reading. Fails with the statement's own error when the engine refuses it.
   *
   * Undefined (nothing inserted) when the engine runs in another process (a CLI beside `npm
   * start`): a load killed mid-way would leave that engine an ended pipe, and it would store every
   * row sent so far while a re-run of the load may already be deciding what is new. In this
   * process a kill takes the insert with it. Told by whether this process holds the pipe's read
   * end (`/proc/self/fd`; without /proc, no stream).
   */
  static async open(pipe: string, statement: string, command: (sql: string) => Promise<void>): Promise<PayloadStream | undefined> {
    return PayloadStream.#connect(new PayloadStream(command(statement)), pipe);
  }

  static async #connect(stream: PayloadStream, pipe: string): Promise<PayloadStream | undefined> {
    // A non-blocking open for writing fails (ENXIO) until a reader has the pipe open: poll, so a
    // statement the engine refuses is noticed instead of a pool thread blocking in open().
    let probe: FileHandle | undefined;
    let settled = false;
    void stream.#insert.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let wait = 1; !probe; wait = Math.min(wait * 2, 20)) {
      if (stream.#error !== undefined) throw stream.#error;
      // The insert ended without a writer (the engine saw an empty input): nothing to stream into.
      if (settled) return undefined;
      try {
        probe = await openFile(pipe, constants.O_WRONLY | constants.O_NONBLOCK);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENXIO') {
          await stream.#insert.catch(() => undefined);
          throw e;
        }
        await Promise.race([new Promise((r) => setTimeout(r, wait)), stream.#insert.catch(() => undefined)]);
      }
    }
    // The engine's read end is in /proc/self/fd only once its open() has returned, and that open
    // returns only after ours succeeded: on a busy machine the engine's thread may not have run yet
    // when we look (the parity test saw "no stream" under load 15). Look again for up to ~0.5 s;
    // a reader in another process never shows up, and LocalPayloads asks only once per load then.
    let openers = await openersInThisProcess(pipe);
    for (let wait = 2; openers === 1 && wait <= 256; wait *= 2) {
      await new Promise((r) => setTimeout(r, wait));
      openers = await openersInThisProcess(pipe);
    }
    if (openers < 2) {
      // Only our own end: the reader is another process. Ending the pipe now inserts nothing.
      await probe.close();
      await stream.#insert.catch(() => undefined);
      return undefined;
    }
    try {
      // The reader is there, so a blocking open returns at once. Blocking writes run on libuv's pool
      // threads and keep the engine fed while this thread encodes (a non-blocking pipe moves only
      // its 64 KiB buffer per turn of a busy event loop).
      stream.#file = await openFile(pipe, constants.O_WRONLY);
    } finally {
      await probe.close();
    }
    return stream;
  }

  /** Resolves once `payload` is in the pipe (the caller may reuse its buffer then). */
  async write(payload: Buffer): Promise<void> {
    const file = this.#file!;
    try {
      for (let at = 0; at < payload.length; ) at += (await file.write(payload, at, payload.length - at)).bytesWritten;
    } catch (e) {
      this.#error ??= e;
    }
    // The engine stopped reading (its insert failed): its own error says why, not EPIPE.
    if (this.#error !== undefined) throw await this.#reason();
    this.bytes += payload.length;
  }

  /** Ends the input and waits for the insert: every row written is stored when this returns. */
  async close(): Promise<void> {
    await this.#file!.close();
    await this.#insert.catch(() => undefined);
    if (this.#error !== undefined) throw await this.#reason();
  }

  /** Gives up: ends the input and waits for the engine to finish with it (its error is not raised). */
  async abort(): Promise<void> {
    await this.#file?.close().catch(() => undefined);
    await this.#insert.catch(() => undefined);
  }

  async #reason(): Promise<unknown> {
    try {
      await this.#insert;
    } catch (e) {
      return e;
    }
    return this.#error;
  }
}

/** How many of this process's file descriptors are `path` (0 where /proc/self/fd cannot be read). */
async function openersInThisProcess(path: string): Promise<number> {
  let fds: string[];
  try {
    fds = await readdir('/proc/self/fd');
  } catch {
    return 0;
  }
  let n = 0;
  for (const fd of fds) {
    try {
      if ((await readlink(`/proc/self/fd/${fd}`)) === path) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}
