/**
 * Benchmark: the churn feature query alone, as scoring reads it (the scoring population, in shards,
 * unordered), on a kept warehouse — CPU seconds of this process (the embedded engine runs in it,
 * so its work counts here and a loaded machine inflates it less than wall time), wall time, the
 * engine's own counters (`system.events` deltas) and a digest of the answer. Optional `--against
 * FILE` loads another copy of features.ts (e.g. a worktree of an earlier commit) and runs both,
 * interleaved round by round, so "before" and "after" meet the same load.
 *
 *   tsx models/bench/feature-query.ts --dir DIR [--today 2025-01-01] [--shards 4] [--rounds 3] [--against PATH/features.ts] [--format Null|TabSeparatedWithNames] [--help]
 *
 * DIR is a warehouse kept by `bench:scoring -- --keep DIR` (models/bench/score-churn.ts).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { WarehouseConfig } from '../../lib/config.ts';
import { connectWarehouse } from '../../lib/warehouse/index.ts';
import { consentSettings } from '../../lib/consent/purposes.ts';
import {
  buildFeatureQuery as buildHere,
  featureRanges as rangesHere,
  type FeatureQueryOptions,
  type IdRange,
} from '../churn/features.ts';
import type { Warehouse } from '../../lib/warehouse/index.ts';
import type { BoundQuery } from '../../lib/warehouse/sql.ts';

const HELP = `feature-query bench: the churn feature query alone on a kept warehouse.

  --dir DIR       a warehouse kept by bench:scoring --keep DIR (required)
  --today DAY     cutoff, YYYY-MM-DD (default 2025-01-01)
  --shards N      shards as scoring reads them (default 4)
  --rounds N      rounds (default 3); with --against, each round runs both, alternating which goes first
  --against FILE  another features.ts to compare with (its buildFeatureQuery), e.g. a worktree's
  --format F      Null (default: the engine's work only) or TabSeparatedWithNames (the answer's text too)
  --labels        the training query (definition population, with labels, ordered) instead
  --digest        also compare the answers: an order-independent hash of every row (one more run each)
`;

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string' },
    today: { type: 'string', default: '2025-01-01' },
    shards: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    against: { type: 'string' },
    format: { type: 'string', default: 'Null' },
    labels: { type: 'boolean', default: false },
    digest: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (!args.dir) throw new Error('--dir is required (a warehouse kept by bench:scoring --keep DIR)');
const shards = Number(args.shards);
const rounds = Number(args.rounds);
if (!(Number.isInteger(shards) && shards >= 1))
  throw new RangeError(`--shards must be an integer >= 1, got "${args.shards}"`);
if (!(Number.isInteger(rounds) && rounds >= 1))
  throw new RangeError(`--rounds must be an integer >= 1, got "${args.rounds}"`);
if (args.format !== 'Null' && args.format !== 'TabSeparatedWithNames')
  throw new RangeError(`--format must be Null or TabSeparatedWithNames, got "${args.format}"`);

// A features.ts of another commit may shard by hash (`shard: { index, count }`, before session 10)
// or by id ranges (`range`, featureRanges): each part gets both options and reads the one it knows.
type Build = (o: FeatureQueryOptions & { shard?: { index: number; count: number } }) => BoundQuery;
type Ranges = (wh: Warehouse, count: number) => Promise<IdRange[]>;
interface Variant {
  name: string;
  build: Build;
  ranges?: Ranges;
}
const variants: Variant[] = [{ name: 'this checkout', build: buildHere, ranges: rangesHere }];
if (args.against) {
  const mod = (await import(args.against)) as { buildFeatureQuery: Build; featureRanges?: Ranges };
  variants.push({ name: args.against, build: mod.buildFeatureQuery, ranges: mod.featureRanges });
}

const config: WarehouseConfig = {
  user: 'bench',
  password: `bench-${process.pid}`,
  database: 'crm',
  dataDir: args.dir,
  embeddedPort: 0,
};
const wh = await connectWarehouse({ config, requestTimeout: 1_800_000 });
const EVENTS = [
  'SelectedRows',
  'SelectedBytes',
  'UserTimeMicroseconds',
  'SystemTimeMicroseconds',
  'ArenaAllocBytes',
  'ReadCompressedBytes',
  'ExternalSortWritePart',
];
const events = async (): Promise<Map<string, number>> => {
  const rows = await (
    await wh.client.query({
      query: 'SELECT event, value FROM system.events WHERE event IN {e:Array(String)}',
      query_params: { e: EVENTS },
      format: 'JSONEachRow',
    })
  ).json<{ event: string; value: string }>();
  return new Map(rows.map((r) => [r.event, Number(r.value)]));
};
const cpuNow = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};
const consent = consentSettings().profilingDefault;
/** The options of each shard's query, as scoring (or training, --labels) builds them; the ranges' sample query runs here, as in scoring. */
async function shardOptions(
  v: Variant,
): Promise<(FeatureQueryOptions & { shard?: { index: number; count: number } })[]> {
  const ranges = v.ranges ? await v.ranges(wh, shards) : undefined;
  return Array.from({ length: ranges?.length ?? shards }, (_, k) => {
    const part = { shard: { index: k, count: shards }, range: ranges?.[k], onCluster: false };
    return args.labels
      ? { cutoff: args.today!, withLabels: true, ...part }
      : { cutoff: args.today!, population: 'buyers', profilingConsent: consent, ordered: false, ...part };
  });
}

async function runOnce(v: Variant): Promise<{ cpu: number; wall: number; rows: number; ev: Map<string, number> }> {
  const e0 = await events();
  const c0 = cpuNow();
  const t0 = performance.now();
  let rows = 0;
  const parts = await shardOptions(v);
  for (const part of parts) {
    const { query, query_params } = v.build(part);
    const { stream } = await wh.client.exec({ query: `${query}\nFORMAT ${args.format}`, query_params });
    for await (const chunk of stream as AsyncIterable<Buffer>) for (const b of chunk) if (b === 10) rows++;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuNow() - c0;
  const e1 = await events();
  const ev = new Map(EVENTS.map((e) => [e, (e1.get(e) ?? 0) - (e0.get(e) ?? 0)]));
  return { cpu, wall, rows: args.format === 'Null' ? 0 : rows - parts.length, ev };
}

const load = (): string => loadavg()[0].toFixed(1);
const fmtEv = (ev: Map<string, number>): string =>
  `rows read ${(ev.get('SelectedRows')! / 1e6).toFixed(1)}M, engine user+sys ${((ev.get('UserTimeMicroseconds')! + ev.get('SystemTimeMicroseconds')!) / 1e6).toFixed(1)} s, arena ${(ev.get('ArenaAllocBytes')! / 2 ** 20).toFixed(0)} MiB`;
try {
  console.log(
    `feature query, ${args.labels ? 'training (labels)' : 'scoring'} at ${args.today}, ${shards} shard(s), FORMAT ${args.format}, ${rounds} round(s)`,
  );
  const totals = variants.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? variants.map((_, i) => i) : variants.map((_, i) => variants.length - 1 - i);
    for (const i of order) {
      const l0 = load();
      const m = await runOnce(variants[i]);
      totals[i].push(m.cpu);
      console.log(
        `round ${r + 1} ${variants[i].name}: ${m.cpu.toFixed(2)} CPU-s, ${m.wall.toFixed(1)} s wall${m.rows ? `, ${m.rows} rows` : ''}; ${fmtEv(m.ev)} (load ${l0} → ${load()})`,
      );
    }
  }
  variants.forEach((v, i) => {
    const xs = [...totals[i]].sort((a, b) => a - b);
    console.log(`${v.name}: CPU-s min ${xs[0].toFixed(2)}, median ${xs[Math.floor(xs.length / 2)].toFixed(2)}`);
  });
  if (args.digest) {
    // Order- and shard-independent: every row's TabSeparated text (what scoring reads) hashed, summed mod 2^64.
    for (const v of variants) {
      let h = 0n;
      let n = 0;
      for (const part of await shardOptions(v)) {
        const { query, query_params } = v.build(part);
        const got = await (
          await wh.client.query({
            query: `SELECT count() AS n, toString(sum(cityHash64(formatRow('TabSeparated', *)))) AS h FROM (${query})`,
            query_params,
            format: 'JSONEachRow',
          })
        ).json<{ n: string; h: string }>();
        n += Number(got[0].n);
        h = (h + BigInt(got[0].h)) % 2n ** 64n;
      }
      console.log(`digest ${v.name}: ${n} rows, ${h}`);
    }
  }
} finally {
  await wh.close();
}
