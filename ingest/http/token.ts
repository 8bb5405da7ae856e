import { dataDirFrom, localSecrets } from '../../lib/config.ts';
import { configFrom, type Config } from '../../lib/config/schema.ts';

type Env = Record<string, string | undefined> | Config;

/**
 * The token the endpoint expects: INGEST_TOKEN when set (production), else the one generated once
 * into the data directory's secrets.json (embedded default), so a first run is never open.
 */
export function ingestTokenFrom(env: Env = process.env, dataDir: string = dataDirFrom(env)): string {
  return configFrom(env).INGEST_TOKEN?.trim() || localSecrets(dataDir).ingestToken;
}
