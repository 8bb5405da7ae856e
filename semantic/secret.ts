import { dataDirFrom, localSecrets } from '../lib/config.ts';

type Env = Record<string, string | undefined>;

/**
 * The secret that signs semantic-layer tokens: CUBEJS_API_SECRET when set (production), else the
 * random one generated and stored in the data directory on first use (embedded default). The
 * server and the token CLI both call this, so a token printed by `npm run token` works against
 * `npm start` with no configuration.
 */
export function cubeApiSecret(env: Env = process.env): string {
  return localSecrets(dataDirFrom(env), env).cubeApiSecret;
}
