import type { Role } from './roles.ts';

/**
 * THE table of who may reach what, keyed by SvelteKit route id (`event.route.id`), so the check
 * runs on the route the router actually matched: `/%73egments` and `/segments` are the same route
 * id, whatever the raw path looked like. hooks.server.ts refuses any route id missing from this
 * table (403), any form action not declared for the route, and any role not listed. The
 * navigation is derived from the same entries. Data scope is not decided here: an owner's Cube
 * token restricts every query to their customers, whatever page asks.
 */
export interface NavEntry {
  href: string;
  label: string;
  /** One-line description for the page header and the nav tooltip. */
  description: string;
}

export interface RouteAccess {
  /** 'public' routes run for signed-out visitors too (sign-in); otherwise the roles that may open it. */
  roles: readonly Role[] | 'public';
  /** Form actions of the page (`default` for an unnamed one) and who may post each. None declared: no posts. */
  actions?: Readonly<Record<string, readonly Role[] | 'public'>>;
  nav?: NavEntry;
  /**
   * GETs that do something the person must mean — a download of customers, a token — each an
   * audited action: refused when a browser says another site started them (Sec-Fetch-Site), since
   * the SameSite=Lax session cookie goes along with a top-level navigation from any site.
   */
  sameOriginGet?: true;
}

const EVERYONE: readonly Role[] = ['executive', 'marketer', 'analyst', 'owner', 'admin'];
const AUDIENCES: readonly Role[] = ['executive', 'marketer', 'analyst', 'admin'];
const AUDIENCE_WRITERS: readonly Role[] = ['marketer', 'admin'];
const LOSS_READERS: readonly Role[] = ['executive', 'analyst', 'owner', 'admin'];
const INBOX: readonly Role[] = ['owner', 'admin'];
const MODEL_READERS: readonly Role[] = ['analyst', 'admin'];

/** In nav order. */
export const ROUTES = {
  '/(app)': { roles: EVERYONE, nav: { href: '/', label: 'Cockpit', description: 'Where the business stands: revenue, customers, retention, risk and pipeline.' } },
  '/(app)/lost-orders': { roles: LOSS_READERS, nav: { href: '/lost-orders', label: 'Lost orders', description: 'Why deals are lost: reasons, stages, competitors and trends.' } },
  '/(app)/pipeline': { roles: LOSS_READERS, nav: { href: '/pipeline', label: 'Deals at risk', description: 'Open deals by value at risk, with the win probability and the reasons.' } },
  '/(app)/customers': { roles: EVERYONE, nav: { href: '/customers', label: 'Customers', description: 'Every customer, searchable, with a 360° view.' } },
  // consent: admins, and owners for their own customers (the action checks the owner on the server).
  '/(app)/customers/[id]': { roles: EVERYONE, actions: { consent: INBOX } },
  '/(app)/churn-risk': { roles: EVERYONE, nav: { href: '/churn-risk', label: 'Churn risk', description: 'Customers likely to leave, why, and the value at risk.' } },
  '/(app)/churn-risk/export.csv': { roles: EVERYONE, sameOriginGet: true },
  '/(app)/models': { roles: MODEL_READERS, nav: { href: '/models', label: 'Models', description: 'The churn model card: validated candidates, the shipped one and why, calibration.' } },
  '/(app)/segments': {
    roles: AUDIENCES,
    actions: { save: AUDIENCE_WRITERS, delete: AUDIENCE_WRITERS, push: AUDIENCE_WRITERS },
    nav: { href: '/segments', label: 'Segments', description: 'Build audiences from traits and scores and send them to campaigns.' },
  },
  '/(app)/segments/export.csv': { roles: AUDIENCES, sameOriginGet: true },
  '/(app)/alerts': { roles: INBOX, nav: { href: '/alerts', label: 'Alerts', description: 'Churn alerts for your accounts.' } },
  '/(app)/alerts/rules': { roles: ['admin'], actions: { save: ['admin'] }, nav: { href: '/alerts/rules', label: 'Alert rules', description: 'Who gets churn alerts, for which customers, and when.' } },
  '/(app)/audit': { roles: ['admin'], nav: { href: '/audit', label: 'Audit log', description: 'Who signed in, viewed, exported or pushed which customers, issued tokens and changed accounts.' } },
  '/(app)/privacy': {
    roles: ['admin'],
    actions: { lookup: ['admin'], erase: ['admin'] },
    nav: { href: '/privacy', label: 'Privacy', description: 'Erase a person everywhere the product keeps data, with a receipt.' },
  },
  '/(app)/definitions': { roles: EVERYONE, nav: { href: '/definitions', label: 'Definitions', description: 'What every figure means: the semantic layer’s definitions, searchable.' } },
  '/api/cube-token': { roles: EVERYONE, sameOriginGet: true },
  '/signin': { roles: 'public', actions: { default: 'public' } },
  // Public so that a stale tab's "Sign out" still lands on sign-in; it revokes only a live session.
  '/signout': { roles: 'public', actions: { default: 'public' } },
} satisfies Record<string, RouteAccess>;

export type RouteId = keyof typeof ROUTES;

const table: Readonly<Record<string, RouteAccess>> = ROUTES;

export const routeAccess = (routeId: string | null | undefined): RouteAccess | undefined =>
  routeId && Object.hasOwn(table, routeId) ? table[routeId] : undefined;

/**
 * The form action a request posts to, as SvelteKit picks it: the first query parameter whose name
 * starts with "/" (`?/push`), else `default`.
 */
export function actionName(url: URL): string {
  for (const key of url.searchParams.keys()) if (key.startsWith('/')) return key.slice(1) || 'default';
  return 'default';
}

export type Verdict = 'allow' | 'sign-in' | 'forbidden';

/**
 * Whether `role` (undefined: signed out) may make this request to `routeId`. `action` is the form
 * action for a POST to a page (undefined for loads and endpoints).
 */
export function decide(routeId: string | null | undefined, role: Role | undefined, action?: string): Verdict {
  const entry = routeAccess(routeId);
  if (!entry) return role ? 'forbidden' : 'sign-in';
  const allowed = (roles: readonly Role[] | 'public'): Verdict => (roles === 'public' ? 'allow' : !role ? 'sign-in' : roles.includes(role) ? 'allow' : 'forbidden');
  const page = allowed(entry.roles);
  if (page !== 'allow' || action === undefined) return page;
  const roles = entry.actions && Object.hasOwn(entry.actions, action) ? entry.actions[action] : undefined;
  return roles ? allowed(roles) : role ? 'forbidden' : 'sign-in';
}

/**
 * The paths of the `sameOriginGet` routes (route ids without their `(group)` segments; none has a
 * parameter). Tenth security review: sign-in sends the browser to `?next=` after the form's post,
 * a same-origin chain, so a link to `/signin?next=/segments/export.csv?definition=…` downloaded
 * every customer of the sender's segment right after the victim signed in, with the export in the
 * audit log under their name: the `Sec-Fetch-Site` guard below never saw the other site.
 */
const SAME_ORIGIN_GET_PATHS = new Set(
  Object.entries(ROUTES as Record<string, RouteAccess>)
    .filter(([, access]) => access.sameOriginGet)
    .map(([id]) => id.replace(/\/\([^/]*\)/g, '') || '/'),
);

/** True when `pathname` (as the router reads it: percent-decoded, any trailing slash) is such a route. */
export function isSameOriginGetPath(pathname: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return false;
  }
  return SAME_ORIGIN_GET_PATHS.has(decoded.replace(/\/+$/, '') || '/');
}

/**
 * True when a browser says another site started this request to a `sameOriginGet` route: a link on
 * a web page or in a mail made the signed-in browser download every customer of a segment (the
 * file lands in the victim's downloads) and wrote an export row in the audit log under their name
 * (fourth security review). `same-origin` (the dashboard's own links), `none` (typed, a bookmark)
 * and no header (scripts, older browsers) pass; `same-site` is another application of the domain.
 */
export function startedByAnotherSite(routeId: string | null | undefined, headers: Headers): boolean {
  if (!routeAccess(routeId)?.sameOriginGet) return false;
  const site = headers.get('sec-fetch-site');
  return site === 'cross-site' || site === 'same-site';
}

export interface NavItem extends NavEntry {
  roles: readonly Role[];
}

export const NAV: readonly NavItem[] = Object.values(table).flatMap((r) => (r.nav && r.roles !== 'public' ? [{ ...r.nav, roles: r.roles }] : []));

/** The nav entry a path belongs to (longest matching prefix), for highlighting only, never for access. */
export function navItemFor(pathname: string): NavItem | undefined {
  let best: NavItem | undefined;
  for (const item of NAV) {
    const match = item.href === '/' ? pathname === '/' : pathname === item.href || pathname.startsWith(`${item.href}/`);
    if (match && (!best || item.href.length > best.href.length)) best = item;
  }
  return best;
}

export const navFor = (role: Role): NavItem[] => NAV.filter((n) => n.roles.includes(role));
