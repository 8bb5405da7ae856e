/**
 * `npm run token -- --role analyst --name "Ann" [--owner-id U-OWN-01] [--days 30]`
 * Prints a semantic-layer token (HS256 JWT) on stdout.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';
import { auditTableExists, cliActor, writeAudit } from '../lib/audit/log.ts';
import { loadWarehouseConfig } from '../lib/config.ts';
import { connectWarehouse } from '../lib/warehouse/index.ts';
import { ROLES, isRole, issueToken, MAX_TOKEN_DAYS } from './security/auth.ts';
import { cubeApiSecret } from './secret.ts';

const HELP = `Usage: npm run token -- --role <role> --name <name> [--owner-id <id>] [--days <n>] [--sub <id>]

Prints a token for the semantic layer (Cube REST, GraphQL and SQL dry-run APIs), signed with
CUBEJS_API_SECRET, or with the local secret in the data directory (CRM_DATA_DIR, default ./.data)
when that variable is not set.

Options:
  --role <role>      one of: ${ROLES.join(', ')}
  --name <name>      who the token is for (shown in Cube's logs)
  --owner-id <id>    required for --role owner: the owner whose customers the token may see
  --days <n>         validity in days (default 30, at most ${MAX_TOKEN_DAYS})
  --sub <id>         subject (default: derived from the name)
  --help             show this help

Every token issued is recorded in the warehouse's audit log (who ran the command, the token's
subject, role and lifetime; never the token). When the warehouse cannot take the row the token is
still printed, with a warning on stderr.

Example:
  curl -H "Authorization: Bearer $(npm run -s token -- --role analyst --name Ann)" \\
    'http://127.0.0.1:4000/cubejs-api/v1/meta'`;

/** `env`: the environment to parse (tests pass one); left out, the process's, parsed by the config schema. */
export function main(argv: string[], env?: Record<string, string | undefined>): { code: number; out: string } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        role: { type: 'string' },
        name: { type: 'string' },
        'owner-id': { type: 'string' },
        days: { type: 'string' },
        sub: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    return { code: 2, out: `${(err as Error).message}\n\n${HELP}` };
  }
  if (values.help) return { code: 0, out: HELP };
  const role = values.role as string | undefined;
  const name = values.name as string | undefined;
  if (!role || !isRole(role)) return { code: 2, out: `--role must be one of ${ROLES.join(', ')}\n\n${HELP}` };
  if (!name?.trim()) return { code: 2, out: `--name is required\n\n${HELP}` };
  const days = values.days === undefined ? 30 : Number(values.days);
  try {
    const token = issueToken({
      role,
      name: name.trim(),
      ownerId: values['owner-id'] as string | undefined,
      sub: values.sub as string | undefined,
      days,
      secret: cubeApiSecret(env),
    });
    return { code: 0, out: token };
  } catch (err) {
    return { code: 2, out: `${(err as Error).message}\n\n${HELP}` };
  }
}

/**
 * The audit row of a token main() printed (lib/audit, action token.issue): the operating-system
 * user, the token's subject (and owner id), role and lifetime. `env` as for main().
 */
export async function auditIssued(token: string, env?: Record<string, string | undefined>): Promise<void> {
  const claims = jwt.decode(token) as { sub?: string; role?: string; owner_id?: string; iat?: number; exp?: number } | null;
  if (!claims?.sub) throw new Error('the printed token has no subject');
  const days = claims.exp && claims.iat ? Math.round(((claims.exp - claims.iat) / 86_400) * 100) / 100 : 0;
  const owner = claims.owner_id && !/[@\s]/.test(claims.owner_id) ? [claims.owner_id] : [];
  const config = loadWarehouseConfig(env);
  const wh = await connectWarehouse({ config, withDatabase: false, requestTimeout: 30_000 });
  try {
    if (!(await auditTableExists(wh.client, config.database))) throw new Error(`the warehouse has no ${config.database}.audit_log yet (npm start creates it)`);
    await writeAudit({ client: wh.client, database: config.database }, { action: 'token.issue', actor: cliActor(), actorRole: 'cli', targetKind: 'token', targetIds: [claims.sub, ...owner], outcome: 'ok', detail: `npm run token: role ${claims.role}, ${days} days` });
  } finally {
    await wh.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { code, out } = main(process.argv.slice(2));
  if (code === 0 && !process.argv.slice(2).some((a) => a === '--help' || a === '-h')) {
    try {
      await auditIssued(out);
    } catch (err) {
      // Anyone holding the secret can sign a token without this CLI, so the row is a record, not a gate.
      process.stderr.write(`token: issued, but not recorded in the audit log: ${(err as Error).message.split('\n')[0]}\n`);
    }
  }
  (code === 0 ? process.stdout : process.stderr).write(`${out}\n`);
  process.exitCode = code;
}
