/**
 * `.env.example` and the README's variable table, rendered from the schema (lib/config/schema.ts).
 * Pure: `npm run config:docs` (bin/config-docs.ts) writes the files, test/lib/config-docs.test.ts
 * checks they are current.
 */
import { GROUP_TITLES, VARIABLES, type Group, type VariableDoc } from './schema.ts';

export const README_START = '<!-- config:start -->';
export const README_END = '<!-- config:end -->';

const entries = (): [string, VariableDoc][] => Object.entries(VARIABLES).map(([name, v]) => [name, v.doc]);
const plain = (markdown: string): string => markdown.replace(/`/g, '');

export function renderEnvExample(): string {
  const lines = [
    '# Generated from lib/config/schema.ts by `npm run config:docs`: edit the schema, not this file.',
    '# Copy to .env and fill in. docker-compose reads it; nothing here is logged.',
    '# Active lines are what a deployment sets; commented ones show the other settings and their defaults.',
  ];
  const groups = [...new Set(entries().map(([, d]) => d.group))] as Group[];
  for (const group of groups) {
    const vars = entries().filter(([, d]) => d.group === group && d.kind !== 'internal');
    if (!vars.length) continue;
    lines.push('', `# ── ${plain(GROUP_TITLES[group])} ──`);
    for (const [name, d] of vars) {
      if (d.example !== undefined) {
        if (d.exampleComment) lines.push(`# ${d.exampleComment}`);
        lines.push(`${name}=${d.example}`);
      } else {
        lines.push(`# ${name}: ${plain(d.meaning)}. Default: ${plain(d.default)}.`, `#${name}=`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The block between the README's markers (markers included). */
export function renderReadmeTable(): string {
  const out = [
    README_START,
    '<!-- Generated from lib/config/schema.ts by `npm run config:docs`: edit the schema, not this table. -->',
    '',
    `Every environment variable (${Object.keys(VARIABLES).length}), in one schema checked when a process starts: a bad value`,
    'stops it with a message naming the variable and what it must be. Secrets left unset are generated',
    'once into `<CRM_DATA_DIR>/secrets.json` (the embedded default); a deployment sets them (`.env.example`).',
  ];
  const groups = [...new Set(entries().map(([, d]) => d.group))] as Group[];
  for (const group of groups) {
    const vars = entries().filter(([, d]) => d.group === group);
    const internal = vars.every(([, d]) => d.kind === 'internal');
    out.push('', `**${GROUP_TITLES[group]}**${internal ? ' — set by the product for the Cube process; do not set them yourself' : ''}`, '');
    out.push('| variable | type | default | meaning | read by |', '|---|---|---|---|---|');
    for (const [name, d] of vars) {
      const note = d.kind === 'third-party' && !internal ? ' (passed through)' : '';
      out.push(`| \`${name}\` | ${cell(d.type)} | ${cell(d.default)} | ${cell(d.meaning)}${note} | ${cell(d.readBy)} |`);
    }
  }
  out.push(README_END);
  return out.join('\n');
}

/** The README with its marked block replaced; throws when the markers are missing. */
export function updateReadme(readme: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${README_START} … ${README_END} block`);
  return readme.slice(0, start) + renderReadmeTable() + readme.slice(end + README_END.length);
}
