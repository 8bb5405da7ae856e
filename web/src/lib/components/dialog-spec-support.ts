import type { Row } from '$lib/cube/types.ts';

/**
 * For component specs of dialogs that ask the semantic layer (DrillDialog and its wrappers): jsdom
 * has no modal dialogs, so showModal/close toggle `open`; and the network answers as Cube would, a
 * token for /api/cube-token and, for every load, the rows `answer` gives for the query sent (GET or
 * POST). Returns the queries asked, in order.
 */
export function stubDialogsAndCube(answer: (query: { dimensions?: string[] }) => Row[]): unknown[] {
  const asked: unknown[] = [];
  HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
    this.setAttribute('open', '');
  };
  HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
    this.removeAttribute('open');
  };
  // Plain assignment, not vi.stubGlobal: this module is not a spec, and product code may not import vitest.
  globalThis.fetch = (async (url: string, init?: { body?: string }) => {
    const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    if (String(url).endsWith('/api/cube-token')) return json({ token: 't', expiresAt: Date.now() / 1000 + 3600 });
    const sent = init?.body ? JSON.parse(init.body).query : new URL(String(url), 'http://x').searchParams.get('query');
    const query = typeof sent === 'string' ? JSON.parse(sent) : sent;
    asked.push(query);
    const data = answer(query);
    const annotation = { measures: {}, dimensions: {}, segments: {}, timeDimensions: {} };
    return json({ queryType: 'regularQuery', results: [{ query, data, annotation, total: data.length }] });
  }) as typeof fetch;
  return asked;
}
