/**
 * The cockpit's answers a page view came without (see Sample.unfilled): the prefetch's answers are
 * in the page as SvelteKit serializes them (devalue): those ready before the render budget in the
 * page data (`"<query key>":null`: a query key is JSON, so it ends in `}`), the rest streamed
 * after it (`__sveltekit_….resolve(<id>, () => [null])`). A failed answer is null in both.
 */
export function unfilledAnswers(html: string): number {
  const streamed = html.match(/__sveltekit_\w+\.resolve\(\d+, \(\) => \[null\]\)/g)?.length ?? 0;
  const start = html.indexOf('prefetch:{ready:{');
  if (start < 0) return streamed;
  // The ready map ends where the pending map starts.
  const end = html.indexOf('},pending:', start);
  const ready = html.slice(start, end < 0 ? undefined : end + 1);
  return streamed + (ready.match(/\}":null[,}]/g)?.length ?? 0);
}
