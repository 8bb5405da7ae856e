// A node:test reporter that writes nothing but the run's closing counts, as one JSON line:
// {"tests":N,"pass":N,"fail":N,"cancelled":N,"skipped":N,"todo":N}. test/run.mjs uses it beside the
// spec reporter (which still prints everything) to sum the lanes.
export default async function* counts(source) {
  const totals = {};
  for await (const event of source) {
    if (event.type !== 'test:diagnostic' || event.data.nesting !== 0) continue;
    const m = /^(tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/.exec(event.data.message);
    if (m) totals[m[1]] = Number(m[2]);
  }
  yield `${JSON.stringify(totals)}\n`;
}
