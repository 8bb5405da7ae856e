/** Dashboard roles, as in the users table and the Cube token (semantic/security/auth.ts). A leaf. */
export const ROLES = ['executive', 'marketer', 'analyst', 'owner', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);

export const ROLE_LABELS: Record<Role, string> = {
  executive: 'Executive',
  marketer: 'Marketer',
  analyst: 'Analyst',
  owner: 'Account owner',
  admin: 'Administrator',
};
