import type { CustomerIdSource } from '../core/customer-id-source.ts';
import type { Batch } from './batch.ts';

/** Written where the id is not known yet; the writer patches the 14 bytes once it is looked up. */
const PLACEHOLDER_ID = Buffer.from('C-????????????');

/**
 * Writes a row's customer_id column: the id when the source knows it, else the placeholder, and
 * records in the batch what the writer must look up before the batch is inserted.
 */
export class CustomerIdColumn {
  #lastTagSource = '';
  #lastTag = -1;

  constructor(readonly ids: CustomerIdSource | undefined) {}

  /** Facts with a fast source: the reference's bytes as already written, out[refStart, refEnd), are the lookup key. */
  writeByRefBytes(batch: Batch, r: number, source: string, refStart: number, refEnd: number): void {
    const fast = this.ids!.fast!;
    const out = batch.out;
    if (source !== this.#lastTagSource || this.#lastTag < 0) {
      this.#lastTag = fast.tagOf(source);
      this.#lastTagSource = source;
    }
    const at = fast.idOffset(this.#lastTag, out.buf, refStart, refEnd);
    if (at >= 0) out.raw(fast.values(), at, at + 14);
    else {
      out.raw(PLACEHOLDER_ID, 0, PLACEHOLDER_ID.length);
      batch.pendingRef[r] = -2;
      batch.refTag[r] = this.#lastTag;
      batch.refStart[r] = refStart;
      batch.refEnd[r] = refEnd;
      batch.pendingCount++;
    }
  }

  /** Customer records (by their own source_id) and facts without a fast source. */
  writeByText(batch: Batch, r: number, source: string, ref: string): void {
    const out = batch.out;
    const id = this.ids?.idFor(source, ref);
    if (id) out.raw(id, 0, id.length);
    else {
      out.raw(PLACEHOLDER_ID, 0, PLACEHOLDER_ID.length);
      batch.pendingRef[r] = batch.pending(source, ref);
    }
  }
}
