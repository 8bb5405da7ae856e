/**
 * `npm run token -- --role analyst --name "Ann" [--owner-id U-OWN-01] [--days 30]`
 * Prints a semantic-layer token (HS256 JWT) on stdout.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { code, out } = main(process.argv.slice(2));
  (code === 0 ? process.stdout : process.stderr).write(`${out}\n`);
  process.exitCode = code;
}
