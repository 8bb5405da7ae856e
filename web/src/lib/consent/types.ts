/** What the 360 page's consent panel shows (built on the server by page.server.ts). */
export interface PurposeConsent {
  purpose: string;
  /** The newest event's status; undefined when there is none. */
  latest?: 'granted' | 'withdrawn';
  /** What applies: the newest event, or the default for a customer without one (lib/consent). */
  consented: boolean;
  changedAt?: string;
  channel?: string;
  recordedBy?: string;
}

export interface ConsentPanel {
  purposes: PurposeConsent[];
  canChange: boolean;
  error?: string;
}
