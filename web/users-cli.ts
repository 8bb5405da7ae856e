/**
 * `npm run users -- <command>`: dashboard accounts for an administrator — list them, add one, set a
 * password, deactivate. Accounts live in the warehouse's `users` table, so this works the same
 * against the embedded warehouse (while `npm start` runs, through its endpoint) and a real ClickHouse.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cliActor, writeAudit } from '../lib/audit/log.ts';
import type { AuditAction } from '../lib/audit/actions.ts';
import { loadWarehouseConfig } from '../lib/config.ts';
import { connectWarehouse } from '../lib/warehouse/index.ts';
import { ROLES } from './src/lib/auth/roles.ts';
import { listUsers, setUserActive, setUserPassword, upsertUser, userStore } from './server/users.ts';

/** The commands, for the audit table's completeness test (lib/audit/actions.ts): every one but list changes an account. */
export const USERS_COMMANDS = ['list', 'add', 'set-password', 'deactivate', 'activate'] as const;

const HELP = `Usage: npm run users -- <command> [options]

Dashboard accounts (the users table in the warehouse).

Commands:
  list                          every account: e-mail, role, owner id, active, password set
  add --email <e> --name <n> --role <role> [--owner-id <id>] [--region <r>] [--id <user id>]
                                create an account (or update its profile when --id exists);
                                roles: ${ROLES.join(', ')}; an owner needs --owner-id
  set-password <email>          set a password: typed at the prompt (not echoed), read from
                                stdin when piped, or --generate to print a random one
  deactivate <email>            the account can no longer sign in; its data token stops working
                                within 15 minutes
  activate <email>              undo deactivate

The warehouse is found as by npm start: CLICKHOUSE_URL/USER/PASSWORD/DATABASE, else the embedded
one in CRM_DATA_DIR (default ./.data).

Examples:
  npm run users -- add --email ana@example.com --name "Ana Ruiz" --role owner --owner-id OWN-17
  npm run users -- set-password ana@example.com
  printf '%s' "$NEW_PASSWORD" | npm run users -- set-password ana@example.com`;

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** The new password, from the prompt or stdin. */
  readPassword: () => Promise<string>;
}

async function readPasswordFromTerminal(): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let text = '';
    for await (const chunk of stdin) text += String(chunk);
    return text.replace(/\r?\n$/, '');
  }
  // No echo: readline writes the prompt, then every keystroke is swallowed.
  const rl = createInterface({ input: stdin, output: process.stderr, terminal: true });
  const rlOut = rl as unknown as { _writeToOutput: (s: string) => void };
  let prompted = false;
  rlOut._writeToOutput = (s: string) => {
    if (!prompted) process.stderr.write(s);
    prompted = true;
  };
  const answer = await new Promise<string>((resolve) => rl.question('New password: ', resolve));
  rl.close();
  process.stderr.write('\n');
  return answer;
}

const defaultIo: Io = {
  out: (l) => console.log(l),
  err: (l) => console.error(l),
  readPassword: readPasswordFromTerminal,
};

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        email: { type: 'string' },
        name: { type: 'string' },
        role: { type: 'string' },
        'owner-id': { type: 'string' },
        region: { type: 'string' },
        id: { type: 'string' },
        generate: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, arg] = positionals;
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (!command) {
    io.err(HELP);
    return 2;
  }
  const needEmail = (): string => {
    if (!arg) throw new UsageError(`${command} needs an e-mail address: npm run users -- ${command} <email>`);
    return arg;
  };

  const wh = await connectWarehouse({ config: loadWarehouseConfig() });
  // One audit row per account change, after it was made: the operating-system user, the account's id.
  const record = async (action: AuditAction, userId: string | undefined, detail = ''): Promise<void> => {
    try {
      await writeAudit({ client: wh.client }, { action, actor: cliActor(), actorRole: 'cli', targetKind: 'user', targetIds: userId ? [userId] : [], outcome: 'ok', detail });
    } catch (err) {
      io.err(`users: the change was made, but its audit row could not be written: ${(err as Error).message}`);
    }
  };
  const idOf = async (email: string): Promise<string | undefined> => (await userStore(wh.client).byEmail(email))?.userId;
  try {
    switch (command) {
      case 'list': {
        const users = await listUsers(wh.client);
        if (!users.length) io.out('no accounts yet: npm run users -- add --help');
        for (const u of users) {
          io.out(`${u.email.padEnd(32)} ${u.role.padEnd(10)} ${(u.ownerId || '-').padEnd(12)} ${u.active ? 'active  ' : 'inactive'} ${u.hasPassword ? 'password set' : 'no password'}  ${u.name}`);
        }
        return 0;
      }
      case 'add': {
        if (!values.email || !values.name || !values.role) throw new UsageError('add needs --email, --name and --role');
        const userId = values.id ?? `U-${randomBytes(6).toString('hex')}`;
        const what = await upsertUser(wh.client, { userId, email: values.email, name: values.name, role: values.role, ownerId: values['owner-id'], region: values.region });
        await record('user.add', userId, `${what}, role ${values.role}`);
        io.out(`${what} ${values.email} (${values.role}, user id ${userId})${what === 'created' ? `; next: npm run users -- set-password ${values.email}` : ''}`);
        return 0;
      }
      case 'set-password': {
        const email = needEmail();
        const password = values.generate ? randomBytes(12).toString('base64url') : await io.readPassword();
        await setUserPassword(wh.client, email, password);
        await record('user.set_password', await idOf(email), values.generate ? 'generated' : 'typed');
        io.out(values.generate ? `password of ${email} set to: ${password}` : `password of ${email} set`);
        return 0;
      }
      case 'deactivate':
      case 'activate': {
        const email = needEmail();
        await setUserActive(wh.client, email, command === 'activate');
        await record(command === 'activate' ? 'user.activate' : 'user.deactivate', await idOf(email));
        io.out(`${email} ${command}d`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    io.err(err instanceof UsageError ? `${err.message}\n\n${HELP}` : `users: ${(err as Error).message}`);
    return err instanceof UsageError ? 2 : 1;
  } finally {
    await wh.close();
  }
}

class UsageError extends Error {}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
