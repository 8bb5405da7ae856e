import { isRole, type SecurityContext } from './auth.ts';

/**
 * Cube's queryRewrite hook. Row-level security does NOT live here: it is in the SQL of every cube
 * (see semantic/README.md, "Security"), where no query shape can reach around it. This hook is the
 * second line: it refuses a request whose context did not come from our checkAuth and attaches
 * nothing that could widen a scope.
 */
export interface CubeQuery {
  measures?: string[];
  dimensions?: string[];
  timeDimensions?: { dimension: string }[];
  filters?: unknown[];
  segments?: string[];
  limit?: number;
  [key: string]: unknown;
}

/** Duck-typed like Cube's UserError (`type === 'UserError'`): the gateway answers 400 with the message. */
export class QueryRefused extends Error {
  readonly type = 'UserError';
  constructor(message: string) {
    super(message);
    this.name = 'QueryRefused';
  }
}

export function guardQuery<Q extends CubeQuery>(query: Q, securityContext: unknown): Q {
  const ctx = securityContext as Partial<SecurityContext> | undefined;
  if (!ctx || !isRole(ctx.role) || typeof ctx.sub !== 'string') throw new QueryRefused('No valid security context');
  if (ctx.role === 'owner' && !ctx.owner_id) throw new QueryRefused('Owner token without owner_id');
  return query;
}
