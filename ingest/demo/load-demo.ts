import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import { recordDemoFiles } from '../../lib/warehouse/demo-accounts.ts';
import { ingestFile, type EntityName, type IngestProgress, type IngestSummary, type Mapping } from '../index.ts';
import type { DemoManifest } from './manifest.ts';

export interface LoadDemoProgress {
  file: string;
  entity: EntityName;
  /** 1-based position of the file in the load order, and the number of files. */
  index: number;
  files: number;
  /** Set while the file loads. */
  progress?: IngestProgress;
  /** Set once the file is done. */
  summary?: IngestSummary;
}

export interface LoadDemoOptions {
  /** A directory written by generateDemo (manifest.json present). */
  dir: string;
  onProgress?: (p: LoadDemoProgress) => void;
  /** Where rejected rows go: a directory for `<file>.rejects.csv`, or false for none (default: next to the files). */
  rejectsDir?: string | false;
}

export interface LoadDemoResult {
  manifest: DemoManifest;
  summaries: { file: string; summary: IngestSummary }[];
}

export class DemoLoadError extends Error {}

export async function readDemoManifest(dir: string): Promise<DemoManifest> {
  let text: string;
  try {
    text = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch {
    throw new DemoLoadError(`${dir} has no manifest.json: the demo data is missing or was not completely written (npm run demo -- generate --out ${dir})`);
  }
  return JSON.parse(text) as DemoManifest;
}

/**
 * Loads a generated demo directory through the real ingest jobs, in dependency order (users, the
 * customers of each source, campaigns, then the facts that reference them), so the demo exercises
 * exactly the path a user's own files take: validation, quarantine of the planted dirty rows,
 * identity resolution of the duplicate customers, currency conversion with the manifest's rates.
 * Re-running it loads nothing new (the ingest jobs are idempotent).
 */
export async function loadDemo(warehouse: Warehouse, opts: LoadDemoOptions): Promise<LoadDemoResult> {
  const manifest = await readDemoManifest(opts.dir);
  const mapping: Mapping = { currency: { base: manifest.base_currency, rates: manifest.currency_rates } };
  const summaries: LoadDemoResult['summaries'] = [];
  const files = manifest.load_order;
  // The demo accounts stay on only beside these files' loads (lib/warehouse/demo-accounts.ts): the
  // generator's digests, recorded before any of them loads, so no load of them is ever own data.
  // A file changed since it was generated has another digest and counts as one's own.
  await recordDemoFiles(
    warehouse.client,
    warehouse.database,
    files.map((file) => ({ file, entity: manifest.files[file].entity, sha256: manifest.files[file].sha256 })),
  );
  for (const [i, file] of files.entries()) {
    const entity = manifest.files[file].entity as EntityName;
    const base = { file, entity, index: i + 1, files: files.length };
    opts.onProgress?.(base);
    const summary = await ingestFile(warehouse, {
      entity,
      file: join(opts.dir, file),
      mapping,
      rejectsFile: opts.rejectsDir === false ? false : opts.rejectsDir ? join(opts.rejectsDir, `${file}.rejects.csv`) : undefined,
      onProgress: opts.onProgress ? (progress) => opts.onProgress!({ ...base, progress }) : undefined,
    });
    if (summary.status !== 'completed') throw new DemoLoadError(`loading ${file} failed: ${summary.error ?? 'unknown error'}`);
    summaries.push({ file, summary });
    opts.onProgress?.({ ...base, summary });
  }
  return { manifest, summaries };
}
