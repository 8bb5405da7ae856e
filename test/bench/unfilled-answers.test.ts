/**
 * bench:load counts a page view whose cockpit charts came without an answer (the server's prefetch
 * gave up: timeout, error, "Continue wait" to the end) as not filled (issue 17, point 3). The page
 * is serialized here by SvelteKit's own server-side data serializer, as the dashboard sends it: the
 * answers ready within the render budget inside the page data, the others streamed as their
 * promises settle; the counter must find exactly the nulls put in, in both places.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { unfilledAnswers } from '../../bench/unfilled-answers.ts';

interface Serializer {
  add_node(i: number, node: { data: unknown; uses: unknown }): void;
  get_data(csp: { script_needs_nonce: boolean }): { data: string; chunks: AsyncIterable<string> | null };
}
// A build-time constant of SvelteKit's (the production value, as in the built dashboard).
(globalThis as { __SVELTEKIT_DEV__?: boolean }).__SVELTEKIT_DEV__ = false;
const kit = dirname(createRequire(import.meta.url).resolve('@sveltejs/kit/package.json'));
const { server_data_serializer } = (await import(
  pathToFileURL(join(kit, 'src/runtime/server/page/data_serializer.js')).href
)) as {
  server_data_serializer(event: unknown, state: unknown, options: unknown): Serializer;
};

/** The page's HTML data part and its streamed chunks, as SvelteKit writes them for this `prefetch`. */
async function page(prefetch: {
  ready: Record<string, unknown>;
  pending: Record<string, Promise<unknown>>;
}): Promise<string> {
  const s = server_data_serializer(
    { route: { id: '/(app)' } },
    {},
    { hooks: { transport: {} }, version_hash: 'test', app_dir: '_app' },
  );
  const uses = {
    dependencies: new Set(),
    params: new Set(),
    parent: false,
    route: false,
    url: false,
    search_params: new Set(['period']),
  };
  s.add_node(0, { data: { prefetch, cubeToken: { token: 'x' }, metrics: undefined }, uses });
  const { data, chunks } = s.get_data({ script_needs_nonce: false });
  let html = `<script>${data}</script>`;
  if (chunks) for await (const c of chunks) html += c;
  return html;
}

const key = (measures: string[]) =>
  JSON.stringify({
    measures,
    timeDimensions: [{ dimension: 'sales.order_date', dateRange: ['2025-01-01', '2025-12-31'] }],
  });
const answer = (member: string, value: string | null) => ({ rows: [{ [member]: value }], total: null });

test('a page whose answers all came counts 0, also with null values inside the rows', async () => {
  const html = await page({
    ready: {
      [key(['sales.orders'])]: answer('sales.orders', '12'),
      [key(['sales.revenue'])]: answer('sales.revenue', null),
    },
    pending: { [key(['pipeline.win_rate'])]: Promise.resolve(answer('pipeline.win_rate', null)) },
  });
  assert.equal(unfilledAnswers(html), 0);
});

test('nulls ready in the page data and nulls streamed after it are both counted', async () => {
  const html = await page({
    ready: {
      [key(['sales.orders'])]: null,
      [key(['sales.revenue'])]: answer('sales.revenue', '5.00'),
      [key(['customer_base.churn_rate'])]: null,
    },
    pending: {
      [key(['pipeline.win_rate'])]: Promise.resolve(null),
      [key(['customer_retention.retention_rate'])]: Promise.resolve(answer('customer_retention.retention_rate', '0.9')),
      [key(['sales.new_customers'])]: new Promise((resolve) => setTimeout(() => resolve(null), 5)),
    },
  });
  assert.equal(unfilledAnswers(html), 4);
});

test('a page without a prefetch (a browser-only page) counts 0', () => {
  assert.equal(unfilledAnswers('<html><body>no data</body></html>'), 0);
});
