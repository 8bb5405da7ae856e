/**
 * Plain HTTP clients get one answer from /load (issue 13): a query Cube does not finish within its
 * own continue-wait (a few seconds) is asked again server-side until it is done, and after
 * CRM_SEMANTIC_WAIT_SECONDS the caller gets a 504 that says what to do, never
 * `{"error":"Continue wait"}`. Clients that speak Cube's protocol keep working, including one that
 * asks for Cube's own polling.
 *
 * A real Cube over the real engine, on a copy of the shipped model plus one test cube whose SQL
 * sleeps (ClickHouse sleepEachRow: 8 rows, 1 s each, 2 rows per block, so at least 8 s; every
 * measure reads the sleeping column, so ClickHouse cannot prune it): longer than Cube holds one
 * request (5 s), so the answer needs the server-side re-ask. Nothing here measures time:
 * sleepEachRow only guarantees a lower bound, which is all the assertions rely on. The patient
 * server waits 300 s rather than the default 60: a first request compiles the model, which took
 * over a minute on a machine shared by eight test runs.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import cubejs from '@cubejs-client/core';
import { DEFAULT_MODEL_PATH, type SemanticServer } from '../../semantic/server.ts';
import { CONTINUE_WAIT_HEADER } from '../../semantic/wait-for-answer.ts';
import { startSemanticOver } from '../support/semantic.ts';
import { num, startSemanticFixture, type SemanticFixture } from './support.ts';

const ROWS = 8;
const SLOW_CUBE = `cubes:
  - name: slow_probe
    sql: >
      SELECT number + sleepEachRow(1) AS n FROM numbers(${ROWS}) SETTINGS max_block_size = 2
    public: true
    measures:
      - name: rows
        sql: n
        type: count
      - name: total
        sql: n
        type: sum
      - name: largest
        sql: n
        type: max
      - name: smallest
        sql: n
        type: min
`;

let modelDir: string;
let fx: SemanticFixture;
/** The same warehouse behind a Cube that waits only 1 s. */
let impatient: SemanticServer;

before(async () => {
  modelDir = mkdtempSync(join(tmpdir(), 'one-answer-model-'));
  cpSync(DEFAULT_MODEL_PATH, modelDir, { recursive: true });
  writeFileSync(join(modelDir, 'cubes', 'slow_probe.yml'), SLOW_CUBE);
  fx = await startSemanticFixture({ modelPath: modelDir, waitSeconds: 300 });
  impatient = await startSemanticOver(fx.tw, { apiSecret: fx.secret, modelPath: modelDir, waitSeconds: 1 });
});
after(async () => {
  await impatient?.close();
  await fx?.close();
  if (modelDir) rmSync(modelDir, { recursive: true, force: true });
});

const post = async (base: string, query: object, headers: Record<string, string> = {}) => {
  const res = await fetch(`${base}/v1/load`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fx.token('analyst')}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: (await res.json()) as { data?: Record<string, string>[]; error?: string; type?: string } };
};

test('the first plain HTTP request on a fresh stack answers with data (retention matrix, uncached)', async () => {
  // The fixture's January 2024 cohort: C01, C02, C06, C09 (four first orders that month).
  const answer = await post(fx.semantic.url, {
    measures: ['retention.cohort_customers'],
    timeDimensions: [{ dimension: 'retention.cohort_month', granularity: 'month', dateRange: ['2024-01-01', '2024-01-31'] }],
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal(answer.body.error, undefined);
  assert.equal(num(answer.body.data?.[0]?.['retention.cohort_customers']), 4);
});

test('a query longer than Cube holds a request is asked again server-side: one answer with the data', async () => {
  const answer = await post(fx.semantic.url, { measures: ['slow_probe.rows', 'slow_probe.total'] });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  // 0 + 1 + … + 7
  assert.deepEqual(answer.body.data, [{ 'slow_probe.rows': String(ROWS), 'slow_probe.total': String((ROWS * (ROWS - 1)) / 2) }]);
});

test('GET /load and GraphQL wait the same way', async () => {
  const url = `${fx.semantic.url}/v1/load?query=${encodeURIComponent(JSON.stringify({ measures: ['slow_probe.largest'] }))}`;
  const res = await fetch(url, { headers: { authorization: `Bearer ${fx.token('analyst')}` } });
  const body = (await res.json()) as { data?: Record<string, string>[] };
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(num(body.data?.[0]?.['slow_probe.largest']), ROWS - 1);

  const gql = await fx.graphql('{ cube { slow_probe { smallest } } }', fx.token('analyst'));
  assert.equal(gql.status, 200, JSON.stringify(gql.body));
  assert.equal(gql.body.errors, undefined, JSON.stringify(gql.body));
  assert.deepEqual(gql.body.data, { cube: [{ slow_probe: { smallest: 0 } }] });
});

test('past CRM_SEMANTIC_WAIT_SECONDS: a 504 that says what to do, not "Continue wait"', async () => {
  const answer = await post(impatient.url, { measures: ['slow_probe.rows'] });
  assert.equal(answer.status, 504, JSON.stringify(answer.body));
  assert.equal(answer.body.type, 'StillRunning');
  assert.match(answer.body.error!, /still running after 1 s \(CRM_SEMANTIC_WAIT_SECONDS\).*ask again/);
  assert.doesNotMatch(JSON.stringify(answer.body), /Continue wait/);
});

test(`a client that asks for Cube's protocol (${CONTINUE_WAIT_HEADER}: allow) gets "Continue wait" and polls to the data`, async () => {
  const query = { measures: ['slow_probe.total'] };
  const first = await post(impatient.url, query, { [CONTINUE_WAIT_HEADER]: 'allow' });
  assert.deepEqual([first.status, first.body.error], [200, 'Continue wait']);

  // @cubejs-client/core, as the dashboard uses it: it polls on "Continue wait" by itself.
  const client = cubejs(fx.token('analyst'), { apiUrl: `${impatient.url}/v1`, headers: { [CONTINUE_WAIT_HEADER]: 'allow' } });
  const result = await client.load({ measures: ['slow_probe.total'] });
  assert.equal(num(String(result.tablePivot()[0]['slow_probe.total'])), (ROWS * (ROWS - 1)) / 2);
});

test('@cubejs-client/core without the header gets the answer in one request', async () => {
  const client = cubejs(fx.token('analyst'), { apiUrl: `${fx.semantic.url}/v1` });
  const result = await client.load({ measures: ['slow_probe.smallest', 'slow_probe.largest'] });
  const [row] = result.tablePivot();
  assert.deepEqual([num(String(row['slow_probe.smallest'])), num(String(row['slow_probe.largest']))], [0, ROWS - 1]);
});
