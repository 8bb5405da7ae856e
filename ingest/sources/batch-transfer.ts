import { Batch, type RejectRow } from '../load/batch.ts';

/**
 * A Batch as it crosses between the parse worker and the main thread: its typed arrays and payload
 * buffer are transferred (moved, not copied), so a batch costs no copy either way.
 */
export type BatchParts = Pick<
  Batch,
  'keyCount' | 'rows' | 'read' | 'bytesRead' | 'pendingCount' | 'rowStart' | 'hash' | 'version' | 'line' | 'sortDate' | 'custOff' | 'pendingRef' | 'refTag' | 'refStart' | 'refEnd' | 'keyOff'
> & {
  out: ArrayBuffer;
  outPos: number;
  rejects: RejectRow[];
};

/** The batch's parts and the buffers to transfer with them; the batch is unusable afterwards. */
export function toParts(b: Batch): { parts: BatchParts; transfer: ArrayBuffer[] } {
  const out = ownBuffer(b.out.buf);
  const parts: BatchParts = {
    keyCount: b.keyCount,
    rows: b.rows,
    read: b.read,
    bytesRead: b.bytesRead,
    pendingCount: b.pendingCount,
    out,
    outPos: b.out.pos,
    rowStart: b.rowStart,
    hash: b.hash,
    version: b.version,
    line: b.line,
    sortDate: b.sortDate,
    custOff: b.custOff,
    pendingRef: b.pendingRef,
    refTag: b.refTag,
    refStart: b.refStart,
    refEnd: b.refEnd,
    keyOff: b.keyOff,
    rejects: [...b.rejects],
  };
  const arrays = [parts.rowStart, parts.hash, parts.version, parts.line, parts.sortDate, parts.custOff, parts.pendingRef, parts.refTag, parts.refStart, parts.refEnd, parts.keyOff];
  return { parts, transfer: [out, ...arrays.map((a) => a.buffer as ArrayBuffer)] };
}

/** A Batch around received parts (counts and rejects as sent). */
export function fromParts(p: BatchParts): Batch {
  const b = new Batch(p.keyCount, 0, 0);
  b.out.buf = Buffer.from(p.out, 0, p.out.byteLength);
  b.out.pos = p.outPos;
  b.rows = p.rows;
  b.read = p.read;
  b.bytesRead = p.bytesRead;
  b.pendingCount = p.pendingCount;
  b.rowStart = p.rowStart;
  b.hash = p.hash;
  b.version = p.version;
  b.line = p.line;
  b.sortDate = p.sortDate;
  b.custOff = p.custOff;
  b.pendingRef = p.pendingRef;
  b.refTag = p.refTag;
  b.refStart = p.refStart;
  b.refEnd = p.refEnd;
  b.keyOff = p.keyOff;
  for (const r of p.rejects) b.rejects.push(r);
  return b;
}

/**
 * The ArrayBuffer behind a payload buffer, when the buffer is all of it (buffers above Node's pool
 * size are); a pooled small buffer is copied into one of its own first, since transferring the
 * pool would take other buffers' bytes along.
 */
function ownBuffer(buf: Buffer): ArrayBuffer {
  if (buf.byteOffset === 0 && buf.buffer.byteLength === buf.length && buf.buffer instanceof ArrayBuffer) return buf.buffer;
  const copy = new ArrayBuffer(buf.length);
  new Uint8Array(copy).set(buf);
  return copy;
}
