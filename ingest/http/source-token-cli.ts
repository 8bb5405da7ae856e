import { sourceToken } from './auth.ts';
import { ingestTokenFrom } from './token.ts';

const HELP = `Print a token for the HTTP ingest API that sends batches of one source only.

Usage: npm run ingest -- source-token <source>

The ingest token (INGEST_TOKEN, else "ingestToken" in the data directory's secrets.json) may send
records of every source. Give each sending system (a web shop, a support desk) a token of its own
source instead: a leaked shop token then cannot rewrite the CRM's customers. The token is derived
from the ingest token; rotating INGEST_TOKEN revokes every source token. Printed on stdout only.`;

const SOURCE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** `npm run ingest -- source-token <source>`: the token on stdout, exit code. */
export function runSourceToken(args: readonly string[]): number {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [source, ...rest] = args;
  if (!source || rest.length > 0 || !SOURCE.test(source)) {
    process.stderr.write(`ingest source-token: name one source, 1-64 letters, digits, "_", ".", ":" or "-" (got ${JSON.stringify(args.join(' ')).slice(0, 80)}).\n${HELP}\n`);
    return 2;
  }
  process.stdout.write(`${sourceToken(ingestTokenFrom(), source)}\n`);
  return 0;
}
