import { localSecrets } from '../../lib/config.ts';
import { configFrom, type Config } from '../../lib/config/schema.ts';

/**
 * The process's Config (lib/config/schema.ts) as its entry point parsed it, or an environment to
 * parse (tests pass a literal). Left out, configFrom() parses the process's environment: only the
 * schema reads process.env.
 */
type Env = Record<string, string | undefined> | Config;

/**
 * The token the endpoint expects: INGEST_TOKEN when set (production), else the one generated once
 * into the data directory's secrets.json (embedded default), so a first run is never open.
 * `dataDir` defaults to the configuration's CRM_DATA_DIR.
 */
export function ingestTokenFrom(env?: Env, dataDir?: string): string {
  const config = configFrom(env);
  return config.INGEST_TOKEN?.trim() || localSecrets(dataDir ?? config.CRM_DATA_DIR, config).ingestToken;
}
