/**
 * The contract between the row encoder (load/) and the two ways a row gets its customer id:
 * identity resolution of customer records (identity/resolve.ts) and the reference lookup of facts
 * (load/resolve-refs.ts). It lives below both so neither folder imports the other for it.
 */

/** Where a row's customer id comes from: identity resolution (customers) or the identity map (facts). */
export interface CustomerIdSource {
  /** The 14 id bytes, or undefined when the id must be looked up before the batch is written. */
  idFor(source: string, ref: string): Buffer | undefined;
  /** Byte-level lookup for the fast path (facts): no string per row. */
  fast?: FastRefs;
}

export interface FastRefs {
  /** A small number per source name. */
  tagOf(source: string): number;
  /** Offset of the 14 id bytes in `values()` for a known reference (TSV-escaped bytes), else -1. */
  idOffset(tag: number, b: Uint8Array, s: number, e: number): number;
  values(): Buffer;
}

/** What the customers pass of identity resolution needs from each valid record. */
export interface IdentityKeys {
  source: string;
  sourceId: string;
  emailNorm: string;
  phoneNorm: string;
  externalIds: Map<string, string>;
  version: number;
  line: number;
}
