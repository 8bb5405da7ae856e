import { localSecrets } from '../lib/config.ts';
import { configFrom, type Config } from '../lib/config/schema.ts';

/**
 * The process's Config (lib/config/schema.ts) as its entry point parsed it, or an environment to
 * parse (tests pass a literal). Left out, configFrom() parses the process's environment: only the
 * schema reads process.env.
 */
type Env = Record<string, string | undefined> | Config;

/**
 * The secret that signs semantic-layer tokens: CUBEJS_API_SECRET when set (production), else the
 * random one generated and stored in the data directory on first use (embedded default). The
 * server and the token CLI both call this, so a token printed by `npm run token` works against
 * `npm start` with no configuration.
 */
export function cubeApiSecret(env?: Env): string {
  const config = configFrom(env);
  return localSecrets(config.CRM_DATA_DIR, config).cubeApiSecret;
}
