import type { Role } from '../auth/roles.ts';

/** Whose inbox a user may read: an owner only their own; an admin any owner they name; nobody else any. */
export function inboxOwner(user: { role: Role; ownerId?: string }, requested: string | null): string {
  if (user.role === 'owner') return user.ownerId ?? '';
  if (user.role === 'admin') return (requested ?? '').trim().slice(0, 200);
  return '';
}
