/**
 * `npm run bench:lanes`: what the embedded endpoint's lanes (lib/warehouse/embedded/session-pool.ts)
 * do for the product's short statements while long ones keep every session busy, against one
 * first-come queue (CRM_EMBEDDED_RESERVED_SESSIONS=0), in the same run, rounds alternating.
 *
 * Pressure, the shape issue 17 measured under 50 cockpit users with loads arriving: Cube (the
 * semantic user) with 3 queries at once (2 queries + 1 rollup build), each ~1–3 s of engine work,
 * and the derived refresher (background lane) with one more. Measured, from send to answer: a point
 * read without parameters every 100 ms, and six readers of a point read with query parameters
 * (the shape of the dashboard's session check, whose two reads are bound), each every 100 ms;
 * all as the writer, the product lane.
 *
 * The queries are synthetic (numbers()), so no data set is needed and the bench starts in seconds.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmbeddedServer } from '../lib/warehouse/embedded/server.ts';

const HELP = `Usage: npm run bench:lanes -- [--rounds 2] [--seconds 20]

  --rounds <n>    rounds of each mode (lanes, one queue), alternating (default 2)
  --seconds <s>   length of each round (default 20)

Prints, per mode, the point read's p50/p95/max and the long statements finished, with the load
average beside each round.`;

/** ~1–3 s of engine work on this machine's cores, like a cockpit query at 10M lines. */
const ANALYTIC = 'SELECT sum(cityHash64(number)) % 7 FROM numbers(150000000)';
const BACKGROUND = 'SELECT sum(cityHash64(number)) % 7 FROM numbers(100000000)';
const POINT = "SELECT count() FROM system.one WHERE dummy = 0 AND 'session' != ''";
const BOUND = 'SELECT count() FROM system.one WHERE dummy = {d:UInt8} AND {session:String} != \'\'';
const BOUND_READERS = 6;

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const s = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;

interface Round {
  mode: 'lanes' | 'one queue';
  reads: number[];
  bound: number[];
  longDone: number;
  load: [number, number];
}

async function round(dataDir: string, reserved: number, seconds: number): Promise<Round> {
  const users = { semantic: randomBytes(9).toString('hex'), writer: randomBytes(9).toString('hex') };
  const admin = randomBytes(9).toString('hex');
  const server = await startEmbeddedServer({
    dataDir,
    port: 0,
    user: 'bench',
    password: admin,
    users: [
      { name: 'bench_semantic', password: users.semantic, role: 'semantic' },
      { name: 'bench_writer', password: users.writer, role: 'writer' },
    ],
    database: 'default',
    reservedSessions: reserved,
  });
  const client = (user: string, password: string): ClickHouseClient => createClient({ url: server.url, username: user, password, request_timeout: 300_000, max_open_connections: 8, clickhouse_settings: { send_progress_in_http_headers: 1 } });
  const cube = client('bench_semantic', users.semantic);
  const writer = client('bench_writer', users.writer);
  const load0 = loadavg()[0]!;
  const stopAt = performance.now() + seconds * 1000;
  let longDone = 0;
  const loop = async (c: ClickHouseClient, query: string, headers?: Record<string, string>) => {
    while (performance.now() < stopAt) {
      await (await c.query({ query, format: 'TabSeparated', http_headers: headers })).text();
      longDone++;
    }
  };
  const reads: number[] = [];
  const bound: number[] = [];
  const reader = async (out: number[], query: string, params?: Record<string, unknown>) => {
    // Starts once the long statements hold the sessions.
    await new Promise((res) => setTimeout(res, 500));
    while (performance.now() < stopAt) {
      const t0 = performance.now();
      await (await writer.query({ query, query_params: params, format: 'TabSeparated' })).text();
      out.push(performance.now() - t0);
      await new Promise((res) => setTimeout(res, 100));
    }
  };
  try {
    await Promise.all([loop(cube, ANALYTIC), loop(cube, ANALYTIC), loop(cube, ANALYTIC), loop(writer, BACKGROUND, { 'x-crm-lane': 'background' }),
      reader(reads, POINT),
      ...Array.from({ length: BOUND_READERS }, (_, i) => reader(bound, BOUND, { d: 0, session: `s-${i}` })),
    ]);
  } finally {
    await cube.close();
    await writer.close();
    await server.close();
  }
  return { mode: reserved > 0 ? 'lanes' : 'one queue', reads: reads.sort((a, b) => a - b), bound: bound.sort((a, b) => a - b), longDone, load: [load0, loadavg()[0]!] };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' }, seconds: { type: 'string', default: '20' }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) return void console.log(HELP);
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number ≥ 1, got ${values.rounds}`);
  if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, got ${values.seconds}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-lanes-'));
  const results: Round[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      // ABBA: the order alternates, so a machine getting busier favours neither.
      for (const reserved of i % 2 === 0 ? [0, 1] : [1, 0]) {
        const r = await round(dataDir, reserved, seconds);
        console.error(`[bench:lanes] ${r.mode}: point read p95 ${s(pct(r.reads, 95))}, bound p95 ${s(pct(r.bound, 95))}, ${r.longDone} long statements (load ${r.load[0].toFixed(1)} → ${r.load[1].toFixed(1)})`);
        results.push(r);
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`bench:lanes (${cpus().length} cores): product reads while 3 Cube queries and 1 background statement run without pause`);
  for (const mode of ['one queue', 'lanes'] as const) {
    const rs = results.filter((r) => r.mode === mode);
    const line = (name: string, all: number[]) => `    ${name.padEnd(24)} p50 ${s(pct(all, 50))}  p95 ${s(pct(all, 95))}  max ${s(all.at(-1) ?? NaN)}  (${all.length} reads)`;
    console.log(`  ${mode}: long statements done ${rs.map((r) => r.longDone).join(', ')}; load ${rs.map((r) => `${r.load[0].toFixed(1)}→${r.load[1].toFixed(1)}`).join(', ')}`);
    console.log(line('point read', rs.flatMap((r) => r.reads).sort((a, b) => a - b)));
    console.log(line(`bound read (${BOUND_READERS} readers)`, rs.flatMap((r) => r.bound).sort((a, b) => a - b)));
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
