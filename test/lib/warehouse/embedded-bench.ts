/**
 * Measures the embedded warehouse endpoint against chdb called directly. Not part of `npm test`:
 *   node --import tsx test/lib/warehouse/embedded-bench.ts [rows=1000000]
 */
import { createClient } from '@clickhouse/client';
import { Session } from 'chdb';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startEmbeddedServer } from '../../../lib/warehouse/embedded/server.ts';

const rows = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'crm-bench-'));
const server = await startEmbeddedServer({ dataDir: dir, port: 0, user: 'bench', password: 'bench', poolSize: 4 });
const client = createClient({ url: server.url, username: 'bench', password: 'bench', request_timeout: 600_000 });
const direct = new Session(dir);
const agent = new Agent({ keepAlive: true });

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const mb = (n: number): string => `${(n / 1e6).toFixed(0)} MB`;

async function perCall(n: number, f: () => Promise<unknown>): Promise<string> {
  for (let i = 0; i < 10; i++) await f();
  const started = performance.now();
  for (let i = 0; i < n; i++) await f();
  return `${((performance.now() - started) / n).toFixed(2)} ms`;
}

function post(query: string, onData: (chunk: Buffer) => void = () => {}): Promise<void> {
  return new Promise((done, fail) => {
    const req = request(`${server.url}/?default_format=JSONEachRow`, { method: 'POST', agent, headers: { 'X-ClickHouse-User': 'bench', 'X-ClickHouse-Key': 'bench' } }, (res) => {
      res.on('data', onData);
      res.on('end', done);
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(query);
  });
}

console.log(`SELECT 1, direct chdb Session.queryAsync: ${await perCall(300, () => direct.queryAsync('SELECT 1', { format: 'JSONEachRow' }))}`);
console.log(`SELECT 1, raw HTTP to the endpoint:       ${await perCall(300, () => post('SELECT 1'))}`);
console.log(`SELECT 1, @clickhouse/client:             ${await perCall(300, async () => (await client.query({ query: 'SELECT 1', format: 'JSONEachRow' })).json())}`);
const agg = 'SELECT count(), sum(number % 7), uniq(number % 1000) FROM numbers(10000000)';
console.log(`10M-row aggregate, direct:                ${await perCall(10, () => direct.queryAsync(agg, { format: 'JSONEachRow' }))}`);
console.log(`10M-row aggregate, @clickhouse/client:    ${await perCall(10, async () => (await client.query({ query: agg, format: 'JSONEachRow' })).json())}`);

await client.command({ query: 'CREATE TABLE bench (id UInt64, customer String, amount Float64, at DateTime) ENGINE = MergeTree ORDER BY id' });
const tsv = Buffer.from(
  Array.from({ length: rows }, (_, i) => `${i}\tcustomer-${i % 50_000}\t${(i % 1000) / 10}\t2024-0${1 + (i % 9)}-1${i % 10} 12:00:00\n`).join(''),
);
const baseRss = process.memoryUsage().rss;
peakRss = baseRss;
let started = performance.now();
await client.insert({ table: 'bench', values: Readable.from(function* () {
  for (let i = 0; i < tsv.length; i += 1 << 16) yield tsv.subarray(i, i + (1 << 16));
}(), { objectMode: false }), format: 'TabSeparated' });
let seconds = (performance.now() - started) / 1000;
console.log(`INSERT ${rows} rows TSV (${mb(tsv.length)}) via @clickhouse/client stream: ${(rows / seconds / 1000).toFixed(0)}k rows/s, peak RSS +${mb(peakRss - baseRss)}`);

started = performance.now();
await direct.insert({ table: 'bench', values: tsv, format: 'TabSeparated' });
seconds = (performance.now() - started) / 1000;
console.log(`INSERT ${rows} rows TSV, direct chdb Buffer insert:            ${(rows / seconds / 1000).toFixed(0)}k rows/s`);

const json = Buffer.from(Array.from({ length: rows }, (_, i) => JSON.stringify({ id: i, customer: `c${i % 50_000}`, amount: (i % 1000) / 10, at: '2024-01-01 12:00:00' })).join('\n'));
started = performance.now();
await client.insert({ table: 'bench', values: Readable.from([json], { objectMode: false }), format: 'JSONEachRow' as const }).catch(async () => {
  // The client only streams JSONEachRow from object streams; send the bytes the way our ingest would, through exec.
  await client.exec({ query: 'INSERT INTO bench FORMAT JSONEachRow', values: Readable.from([json], { objectMode: false }) }).then((r) => r.stream.resume());
});
seconds = (performance.now() - started) / 1000;
console.log(`INSERT ${rows} rows JSONEachRow (${mb(json.length)}) via HTTP:               ${(rows / seconds / 1000).toFixed(0)}k rows/s`);

const selectRss = process.memoryUsage().rss;
peakRss = selectRss;
let bytes = 0;
started = performance.now();
await post("SELECT number, repeat('x', 100) FROM numbers(5000000) FORMAT TabSeparated", (chunk) => (bytes += chunk.length));
seconds = (performance.now() - started) / 1000;
console.log(`SELECT ${mb(bytes)} TSV result over raw HTTP: ${(bytes / seconds / 1e6).toFixed(0)} MB/s, peak RSS +${mb(peakRss - selectRss)}`);

clearInterval(sampler);
direct.close();
agent.destroy();
await client.close();
await server.close();
rmSync(dir, { recursive: true, force: true });
