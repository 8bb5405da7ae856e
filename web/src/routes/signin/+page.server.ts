import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { safeNext } from '$lib/auth/safe-next.ts';
import { MAX_EMAIL_CHARS, signInEmail } from '$lib/auth/sign-in-email.ts';
import { audit, unknownAccount } from '$lib/server/audit.ts';
import { getWebContext } from '$lib/server/context.ts';
import { DEVICE_COOKIE, DEVICE_TTL_SECONDS, signDevice, verifyDevice } from '$lib/server/device-cookie.ts';
import { verifyPassword } from '$lib/server/password.ts';
import { SESSION_TTL_SECONDS, sessionCookieName, signSession } from '$lib/server/session.ts';
import { RefusalTally } from '$lib/server/refusal-tally.ts';
import { recordSignInFailure, recordSignInSuccess, spentCounter } from '$lib/server/throttle.ts';

export const load: PageServerLoad = ({ locals, url }) => {
  if (locals.user) redirect(303, safeNext(url.searchParams.get('next')));
  // The demo accounts are named only where npm start hands them out, and only while they work.
  return { demoHint: getWebContext().demoAccounts?.hintShown() ?? false };
};

interface FirstRefusal {
  actor: string;
  actorRole: string;
  requestId: string;
}

const refusals = new RefusalTally<FirstRefusal>();

/** The ended windows' counts, one audit row each (the first refusal's actor; `row_count` = refusals after it). */
async function writeDueRefusals(now: number): Promise<void> {
  for (const t of refusals.due(now))
    await audit(undefined, t.first.requestId, {
      action: 'auth.sign_in',
      actor: t.first.actor,
      actorRole: t.first.actorRole,
      targetKind: 'user',
      targetIds: t.first.actor.startsWith('unknown-account:') ? [] : [t.first.actor],
      rowCount: t.count,
      outcome: 'denied',
      detail: 'too many failed attempts: further refusals in the window after the first, counted',
      at: new Date(Math.min(now, t.until)),
    });
}
// Windows that end while nobody posts are written within a minute (not keeping the process alive).
setInterval(() => void writeDueRefusals(Date.now()), 60_000).unref();

const isDemoAccount = (email: string): boolean => email.trim().toLowerCase().endsWith('@demo.local');

export const actions: Actions = {
  // SvelteKit refuses cross-origin form posts before this runs (csrf.checkOrigin, on by default).
  default: async ({ request, cookies, url, getClientAddress, locals }) => {
    const form = await request.formData();
    const typed = String(form.get('email') ?? '');
    const password = String(form.get('password') ?? '');
    const next = safeNext(String(form.get('next') ?? url.searchParams.get('next') ?? ''));
    if (!typed.trim() || !password) return fail(400, { email: typed.trim().toLowerCase().slice(0, MAX_EMAIL_CHARS), error: 'Enter your e-mail address and password.' });
    // Before the throttle's counters and the account lookup see it (sign-in-email.ts).
    const email = signInEmail(typed);
    if (!email) return fail(400, { email: '', error: `That is not an e-mail address (at most ${MAX_EMAIL_CHARS} characters).` });

    const client = getClientAddress();
    const ctx = getWebContext();
    // One audit row per attempt. A typed address without an account is recorded only as a keyed hash.
    const attempt = (outcome: 'ok' | 'denied', detail: string, user?: { userId: string; role: string }) =>
      audit(undefined, locals.requestId, {
        action: 'auth.sign_in',
        actor: user?.userId ?? unknownAccount(email, ctx.secrets.sessionSecret),
        actorRole: user?.role ?? '',
        targetKind: 'user',
        targetIds: user ? [user.userId] : [],
        outcome,
        detail,
      });
    // A browser that signed in to this account before is throttled on its own (device-cookie.ts).
    const device = verifyDevice(cookies.get(DEVICE_COOKIE), email, ctx.secrets.sessionSecret);
    const now = Date.now();
    const spent = spentCounter(client, email, now, device);
    if (spent) {
      // Past the first refusal of a spent counter in a window, a refusal costs no lookup and no row:
      // it is counted, and the window's count written as one row when it ends (refusal-tally.ts).
      await writeDueRefusals(now);
      if (refusals.isFirst(spent, now)) {
        // Opened before the lookup's await, so refusals arriving meanwhile are counted, not recorded too.
        const first: FirstRefusal = { actor: unknownAccount(email, ctx.secrets.sessionSecret), actorRole: '', requestId: locals.requestId };
        refusals.opened(spent, first, now);
        const user = await ctx.users.byEmail(email).catch(() => undefined);
        if (user) Object.assign(first, { actor: user.userId, actorRole: user.role });
        await attempt('denied', 'too many failed attempts', user);
      }
      return fail(429, { email, error: 'Too many failed attempts. Wait a few minutes and try again.' });
    }

    const user = await ctx.users.byEmail(email);
    // A load of one's own data turns the demo accounts off (web/server/demo-guard.ts): look again
    // now, not at the gate's next round, so no session starts on a real company's data. Said
    // before the password check: the demo password is published, and the person needs the way on.
    if (user && ctx.demoAccounts && isDemoAccount(user.email) && !(await ctx.demoAccounts.usable())) {
      // A failure like any other: anyone can post it, so it is throttled (and then tallied) too.
      recordSignInFailure(client, email, Date.now(), device);
      await attempt('denied', 'demo account after own data was loaded', user);
      return fail(403, { email, error: 'The demo accounts are turned off: this warehouse holds your own data. Sign in with your own account (an administrator adds one: npm run users -- add).' });
    }
    // verifyPassword spends the same time when the user is missing, so timing reveals nothing.
    const ok = await verifyPassword(password, user?.active ? user.passwordHash : undefined);
    if (!user || !user.active || !ok) {
      recordSignInFailure(client, email, Date.now(), device);
      await attempt('denied', !user ? 'no such account' : !user.active ? 'account inactive' : 'wrong password', user);
      return fail(400, { email, error: 'That e-mail and password do not match an account.' });
    }
    if (user.role === 'owner' && !user.ownerId) {
      await attempt('denied', 'account owner without owner id', user);
      return fail(400, { email, error: 'This account owner has no owner id: ask an administrator.' });
    }
    recordSignInSuccess(email, device);
    await attempt('ok', '', user);
    const session = { sub: user.userId, email: user.email, name: user.name, role: user.role, ownerId: user.role === 'owner' ? user.ownerId : undefined };
    // Never older than the account row it was checked against (see signSession).
    const issuedAt = Math.max(Date.now(), user.updatedAt);
    // Secure whenever the request came over HTTPS, also behind a TLS proxy that says so only in
    // CRM_WEB_PROTOCOL_HEADER (secureCookies follows CRM_WEB_ORIGIN alone).
    const secure = ctx.secureCookies || url.protocol === 'https:';
    // Over HTTPS the __Host- name: a cookie only this origin can set (session.ts).
    cookies.set(sessionCookieName(secure), signSession(session, ctx.secrets.sessionSecret, { issuedAt }), {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure,
      maxAge: SESSION_TTL_SECONDS,
    });
    // Sent back to the sign-in form only; a new id on every sign-in.
    cookies.set(DEVICE_COOKIE, signDevice(email, ctx.secrets.sessionSecret), { path: '/signin', httpOnly: true, sameSite: 'strict', secure, maxAge: DEVICE_TTL_SECONDS });
    redirect(303, next);
  },
};
