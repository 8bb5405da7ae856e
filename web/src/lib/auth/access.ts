import type { Role } from './roles.ts';

/**
 * Which pages each role may open: the navigation shows these and hooks.server.ts enforces them
 * (403 otherwise). Data scope is not decided here: an owner's Cube token restricts every query to
 * their customers, whatever page asks.
 */
export interface NavItem {
  href: string;
  label: string;
  roles: readonly Role[];
  /** One-line description for the page header and the nav tooltip. */
  description: string;
}

const EVERYONE: readonly Role[] = ['executive', 'marketer', 'analyst', 'owner', 'admin'];

export const NAV: readonly NavItem[] = [
  { href: '/', label: 'Cockpit', roles: EVERYONE, description: 'Where the business stands: revenue, customers, retention, risk and pipeline.' },
  { href: '/lost-orders', label: 'Lost orders', roles: ['executive', 'analyst', 'owner', 'admin'], description: 'Why deals are lost: reasons, stages, competitors and trends.' },
  { href: '/customers', label: 'Customers', roles: EVERYONE, description: 'Every customer, searchable, with a 360° view.' },
  { href: '/churn-risk', label: 'Churn risk', roles: EVERYONE, description: 'Customers likely to leave, why, and the value at risk.' },
  { href: '/segments', label: 'Segments', roles: ['executive', 'marketer', 'analyst', 'admin'], description: 'Build audiences from traits and scores and send them to campaigns.' },
  { href: '/alerts', label: 'Alerts', roles: ['owner', 'admin'], description: 'Churn alerts for your accounts.' },
  { href: '/alerts/rules', label: 'Alert rules', roles: ['admin'], description: 'Who gets churn alerts, for which customers, and when.' },
];

/** The nav entry a path belongs to (longest matching prefix), if any. */
export function navItemFor(pathname: string): NavItem | undefined {
  let best: NavItem | undefined;
  for (const item of NAV) {
    const match = item.href === '/' ? pathname === '/' : pathname === item.href || pathname.startsWith(`${item.href}/`);
    if (match && (!best || item.href.length > best.href.length)) best = item;
  }
  return best;
}

/** Whether `role` may open `pathname`. Paths outside the navigation (APIs, sign-out) are open to every signed-in user. */
export function canAccess(pathname: string, role: Role): boolean {
  const item = navItemFor(pathname);
  return !item || item.roles.includes(role);
}

export const navFor = (role: Role): NavItem[] => NAV.filter((n) => n.roles.includes(role));
