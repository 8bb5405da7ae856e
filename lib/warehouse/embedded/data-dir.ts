import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFile } from '../../config.ts';

/**
 * One process owns a data directory (chdb locks it). The owner advertises its HTTP endpoint in
 * `<dataDir>/endpoint.json` so that other processes of ours (ingest jobs, models) share it instead
 * of failing on the lock.
 */

export interface EndpointRecord {
  pid: number;
  url: string;
  startedAt: string;
}

const endpointFile = (dataDir: string): string => join(dataDir, 'endpoint.json');

export function readEndpoint(dataDir: string): EndpointRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(endpointFile(dataDir), 'utf8')) as Partial<EndpointRecord>;
    if (typeof record.pid === 'number' && typeof record.url === 'string') {
      return { pid: record.pid, url: record.url, startedAt: String(record.startedAt ?? '') };
    }
  } catch {
    // Missing or half-written: nobody is advertising.
  }
  return undefined;
}

export function writeEndpoint(dataDir: string, record: EndpointRecord): void {
  // Readers see the old file or the new one, never a partial write.
  writePrivateFile(endpointFile(dataDir), `${JSON.stringify(record, null, 2)}\n`);
}

/** Removes the record if it is still this process's (a successor may have replaced it). */
export function removeEndpoint(dataDir: string, pid: number): void {
  if (readEndpoint(dataDir)?.pid === pid) rmSync(endpointFile(dataDir), { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process holding chdb's lock, from the `PID: N` line the engine writes to `<dataDir>/status`. */
export function lockHolder(dataDir: string): number | undefined {
  try {
    const match = /^PID:\s*(\d+)/m.exec(readFileSync(join(dataDir, 'status'), 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function dataDirInUse(dataDir: string, pid: number, url?: string): Error {
  const where = url ? ` (serving ${url})` : '';
  return new Error(
    `the data directory ${dataDir} is in use by process ${pid}${where}. ` +
      `Stop that process (kill ${pid}) and retry, or set CRM_DATA_DIR to another directory.`,
  );
}
