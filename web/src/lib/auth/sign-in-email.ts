/**
 * The address typed into the sign-in form, as the form checks it: trimmed and lower-cased, and no
 * longer than an e-mail address can be (RFC 5321: 254 characters). A longer value was taken whole
 * (up to the 512 KB body limit) as a key of the throttle's per-account counters, which are swept
 * only once they pass 10,000 entries, and into the account lookup and the page's answer: each IPv6
 * /64 may fail 20 times in ten minutes, so 500 KB "addresses" from a few hundred /64s (a /48 has
 * 65,536) could hold about 5 GB in the web process before the first sweep — computed, not run
 * (fifth security review). Undefined: not an address to look up.
 */
export const MAX_EMAIL_CHARS = 254;

export function signInEmail(typed: string): string | undefined {
  const email = typed.trim().toLowerCase();
  return email && email.length <= MAX_EMAIL_CHARS ? email : undefined;
}
