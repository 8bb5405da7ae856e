import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { qualified } from '../../../../lib/warehouse/sql.ts';
import { getWebContext } from '../server/context.ts';
import { parseDefinition, type SegmentDefinition } from './rules.ts';

/**
 * Saved segments in the warehouse's `segments` table (ReplacingMergeTree(version) keyed by
 * segment_id): a save or an edit is a new row with a higher version, a delete is a new version
 * with deleted = 1. Reads use FINAL.
 *
 * The warehouse client comes from the web context: the dashboard's bundle cannot locate the
 * embedded endpoint itself (its copy of lib/config resolves paths under web/build).
 */
export interface SavedSegment {
  id: string;
  name: string;
  description: string;
  definition: SegmentDefinition;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

interface Db {
  client: ClickHouseClient;
  database?: string;
}

/** The warehouse of the process that runs the dashboard (web/server.ts passes it in the context). */
export function segmentDb(): Db {
  return getWebContext().warehouse;
}

const table = (db: Db): string => (db.database ? qualified(db.database, 'segments') : 'segments');

interface SegmentRow {
  segment_id: string;
  name: string;
  description: string;
  definition: string;
  created_by: string;
  created_at: string;
  updated_at: string;
  version: string | number;
}

function toSegment(r: SegmentRow): SavedSegment | undefined {
  try {
    return {
      id: r.segment_id,
      name: r.name,
      description: r.description,
      definition: parseDefinition(r.definition),
      createdBy: r.created_by,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      version: Number(r.version),
    };
  } catch {
    return undefined;
  }
}

const COLUMNS = 'segment_id, name, description, definition, created_by, created_at, updated_at, version';

export async function listSegments(db: Db = segmentDb()): Promise<SavedSegment[]> {
  const rs = await db.client.query({ query: `SELECT ${COLUMNS} FROM ${table(db)} FINAL WHERE deleted = 0 ORDER BY updated_at DESC, name LIMIT 1000`, format: 'JSONEachRow' });
  return (await rs.json<SegmentRow>()).map(toSegment).filter((s): s is SavedSegment => s !== undefined);
}

export async function getSegment(id: string, db: Db = segmentDb()): Promise<SavedSegment | undefined> {
  const rs = await db.client.query({
    query: `SELECT ${COLUMNS} FROM ${table(db)} FINAL WHERE segment_id = {id:String} AND deleted = 0 LIMIT 1`,
    query_params: { id },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<SegmentRow>();
  return row ? toSegment(row) : undefined;
}

async function latestVersion(db: Db, id: string): Promise<{ version: number; createdAt?: string; createdBy?: string }> {
  const rs = await db.client.query({
    query: `SELECT max(version) AS v, argMax(created_at, version) AS c, argMax(created_by, version) AS b FROM ${table(db)} WHERE segment_id = {id:String}`,
    query_params: { id },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ v: string | number; c: string; b: string }>();
  const v = Number(row?.v ?? 0);
  return v > 0 ? { version: v, createdAt: row.c, createdBy: row.b } : { version: 0 };
}

// Versions are milliseconds, bumped past the latest one so two quick edits still order correctly.
const nextVersion = (latest: number): number => Math.max(Date.now(), latest + 1);
const now = (): string => new Date().toISOString().replace('T', ' ').replace('Z', '');

export async function saveSegment(
  input: { id?: string; name: string; description?: string; definition: SegmentDefinition },
  userId: string,
  db: Db = segmentDb(),
): Promise<string> {
  const name = input.name.trim().slice(0, 200);
  if (!name) throw new Error('a segment needs a name');
  const id = input.id || randomUUID();
  const latest = await latestVersion(db, id);
  const ts = now();
  await db.client.insert({
    table: table(db),
    format: 'JSONEachRow',
    values: [{
      segment_id: id,
      name,
      description: (input.description ?? '').slice(0, 2000),
      definition: JSON.stringify(input.definition),
      created_by: latest.createdBy || userId,
      created_at: latest.createdAt || ts,
      updated_at: ts,
      deleted: 0,
      version: nextVersion(latest.version),
    }],
  });
  return id;
}

export async function deleteSegment(id: string, userId: string, db: Db = segmentDb()): Promise<boolean> {
  const current = await getSegment(id, db);
  if (!current) return false;
  const latest = await latestVersion(db, id);
  await db.client.insert({
    table: table(db),
    format: 'JSONEachRow',
    values: [{
      segment_id: id,
      name: current.name,
      description: current.description,
      definition: JSON.stringify(current.definition),
      created_by: current.createdBy || userId,
      created_at: latest.createdAt ?? now(),
      updated_at: now(),
      deleted: 1,
      version: nextVersion(latest.version),
    }],
  });
  return true;
}
