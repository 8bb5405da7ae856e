/**
 * The model's time members, by the names a query uses (`view.member` and `cube.member`), read from
 * the same YAML Cube compiles. Cube 0.33 passes a filter's values on a time member to ClickHouse as
 * sent: `equals "zzz"` on `customer_base.signup_date` failed in the warehouse and came back as a
 * generic error naming neither member nor value (tenth security review). Knowing which members are
 * times lets the query guard refuse such a value with a sentence first.
 */

interface Include {
  name?: unknown;
  alias?: unknown;
}
interface ViewCube {
  join_path?: unknown;
  includes?: unknown;
  excludes?: unknown;
  prefix?: unknown;
}
interface ModelDoc {
  cubes?: { name?: unknown; dimensions?: { name?: unknown; type?: unknown }[] }[];
  views?: { name?: unknown; cubes?: ViewCube[] }[];
}

export function timeMembers(docs: unknown[]): Set<string> {
  const byCube = new Map<string, Set<string>>();
  for (const doc of docs as (ModelDoc | null)[]) {
    for (const cube of doc?.cubes ?? []) {
      if (typeof cube.name !== 'string') continue;
      const times = new Set<string>();
      for (const d of cube.dimensions ?? []) if (typeof d.name === 'string' && d.type === 'time') times.add(d.name);
      byCube.set(cube.name, times);
    }
  }
  const members = new Set<string>();
  for (const [cube, times] of byCube) for (const t of times) members.add(`${cube}.${t}`);
  for (const doc of docs as (ModelDoc | null)[]) {
    for (const view of doc?.views ?? []) {
      if (typeof view.name !== 'string') continue;
      for (const part of view.cubes ?? []) {
        if (typeof part.join_path !== 'string') continue;
        const cube = part.join_path.split('.').pop()!;
        const times = byCube.get(cube) ?? new Set<string>();
        const excluded = new Set(Array.isArray(part.excludes) ? part.excludes.filter((e): e is string => typeof e === 'string') : []);
        const named = (member: string): string => (part.prefix === true ? `${cube}_${member}` : member);
        if (part.includes === '*') {
          for (const t of times) if (!excluded.has(t)) members.add(`${view.name}.${named(t)}`);
          continue;
        }
        for (const inc of Array.isArray(part.includes) ? (part.includes as (string | Include)[]) : []) {
          const name = typeof inc === 'string' ? inc : inc?.name;
          if (typeof name !== 'string' || !times.has(name)) continue;
          const alias = typeof inc === 'object' && typeof inc.alias === 'string' ? inc.alias : named(name);
          members.add(`${view.name}.${alias}`);
        }
      }
    }
  }
  return members;
}
