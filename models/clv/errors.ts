/** Coded errors of the CLV models, so callers (the scoring job) can branch on `code`. */
export type ClvErrorCode =
  | 'INVALID_INPUT' // malformed transactions, dates or columns
  | 'NO_CUSTOMERS' // nothing to fit before the cutoff
  | 'NO_REPEAT_CUSTOMERS'; // the spend model needs customers with repeat purchases

export class ClvModelError extends Error {
  readonly code: ClvErrorCode;
  constructor(code: ClvErrorCode, message: string) {
    super(message);
    this.name = 'ClvModelError';
    this.code = code;
  }
}
