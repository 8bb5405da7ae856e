import { createRequire } from 'node:module';

/**
 * GraphQL documents whose answer grows faster than their text (seventh security review). An alias
 * runs its field again: `{ a1: __schema { types { … } } a2: __schema { … } … }` answered 34 MB for a
 * 94 KB request and kept the Cube process — every user's queries — busy for 22 s on the review's
 * stack; within the 1 MB body limit, ten times that. Aliases of a view's member, or of `__typename`,
 * repeat every row of an answer of up to 50,000. And the introspection types refer to one another
 * (`__Type.fields` → `__Field.type` → `__Type`), so nesting their lists multiplies without aliases.
 *
 * So a document is refused when, under one parent, one field is asked under more than one response
 * key (aliases; at the root `cube` is exempt: query-fanout.ts counts those), or when a path nests
 * more than three introspection lists (GraphiQL's own introspection query nests three: types →
 * fields → args). Fragments are expanded where they are spread, and fields that share a response
 * key are merged as GraphQL merges them, so neither hides a repeat.
 */
export const MAX_INTROSPECTION_LISTS = 3;
/** Selections looked at before a document counts as too large to check (far beyond any real one). */
const MAX_VISITS = 100_000;

const INTROSPECTION_LISTS = new Set(['types', 'fields', 'inputFields', 'interfaces', 'possibleTypes', 'enumValues', 'args', 'directives']);
const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

interface Node {
  kind: string;
  name?: { value: string };
  alias?: { value: string };
  selectionSet?: { selections: Node[] };
  typeCondition?: unknown;
  definitions?: Node[];
  operation?: string;
}

interface GraphqlParser {
  parse(source: string, options?: { noLocation?: boolean }): Node;
}
// The graphql Cube's own endpoint (express-graphql in api-gateway) parses with, so both read a document alike.
const requireHere = createRequire(import.meta.url);
const gatewayRequire = createRequire(createRequire(requireHere.resolve('@cubejs-backend/server')).resolve('@cubejs-backend/api-gateway'));
const graphql = gatewayRequire('graphql') as GraphqlParser;

class Refused extends Error {}

/** Why this document is refused, or undefined (also when it does not parse: Cube answers that itself). */
export function graphqlShapeProblem(document: unknown): string | undefined {
  if (typeof document !== 'string') return undefined;
  let doc: Node;
  try {
    doc = graphql.parse(document, { noLocation: true });
  } catch (err) {
    // graphql's parser recurses: a document nested thousands deep (selections or a `where` of
    // nested OR) overflows the stack, and Cube's answer was that engine message (eighth review).
    if (err instanceof RangeError) return 'This GraphQL document nests too deep to be read (selections, or OR and AND inside each other); write it with fewer levels.';
    return undefined;
  }
  const fragments = new Map<string, Node>();
  for (const d of doc.definitions ?? []) if (d.kind === 'FragmentDefinition' && d.name) fragments.set(d.name.value, d);
  let visits = 0;

  /** The fields of these selection sets, fragments expanded (a fragment spread inside itself is skipped: GraphQL refuses it anyway). */
  const fieldsOf = (sets: Node[][], spreading: ReadonlySet<string>): Node[] => {
    const out: Node[] = [];
    const walk = (selections: Node[], path: ReadonlySet<string>): void => {
      for (const s of selections) {
        if (++visits > MAX_VISITS) throw new Refused('This GraphQL document is too large to run: ask for fewer fields.');
        if (s.kind === 'Field') out.push(s);
        else if (s.kind === 'InlineFragment' && s.selectionSet) walk(s.selectionSet.selections, path);
        else if (s.kind === 'FragmentSpread' && s.name && !path.has(s.name.value)) {
          const f = fragments.get(s.name.value);
          if (f?.selectionSet) walk(f.selectionSet.selections, new Set([...path, s.name.value]));
        }
      }
    };
    for (const set of sets) walk(set, spreading);
    return out;
  };

  const check = (sets: Node[][], root: boolean, lists: number, inIntrospection: boolean): void => {
    const byKey = new Map<string, Node[]>();
    const keysOf = new Map<string, Set<string>>();
    for (const f of fieldsOf(sets, new Set())) {
      const name = f.name!.value;
      const key = f.alias?.value ?? name;
      const same = byKey.get(key);
      if (same) same.push(f);
      else byKey.set(key, [f]);
      keysOf.set(name, (keysOf.get(name) ?? new Set()).add(key));
    }
    for (const [name, keys] of keysOf) {
      if (keys.size > 1 && !(root && name === 'cube'))
        throw new Refused(`The field ${name} is asked ${keys.size} times under one parent (aliases ${[...keys].slice(0, 3).join(', ')}${keys.size > 3 ? ', …' : ''}): ask for each field once, and send other variants in separate requests.`);
    }
    for (const group of byKey.values()) {
      const name = group[0].name!.value;
      const introspection = inIntrospection || INTROSPECTION_ROOTS.has(name);
      const depth = lists + (inIntrospection && INTROSPECTION_LISTS.has(name) ? 1 : 0);
      if (depth > MAX_INTROSPECTION_LISTS)
        throw new Refused(`This GraphQL introspection nests ${depth} lists (${name} inside ${MAX_INTROSPECTION_LISTS} others); at most ${MAX_INTROSPECTION_LISTS} are answered, as in GraphiQL's introspection query.`);
      const children = group.flatMap((f) => (f.selectionSet ? [f.selectionSet.selections] : []));
      if (children.length) check(children, false, depth, introspection);
    }
  };

  try {
    for (const d of doc.definitions ?? []) if (d.kind === 'OperationDefinition' && d.selectionSet) check([d.selectionSet.selections], true, 0, false);
  } catch (err) {
    if (err instanceof Refused) return err.message;
    throw err;
  }
  return undefined;
}
