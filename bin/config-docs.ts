/**
 * `npm run config:docs`: writes `.env.example` and the README's variable table (between
 * `<!-- config:start -->` and `<!-- config:end -->`) from lib/config/schema.ts.
 * test/lib/config-docs.test.ts fails when either is not current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../lib/config.ts';
import { renderEnvExample, updateReadme } from '../lib/config/docs.ts';

const write = (name: string, text: string): void => {
  const file = join(PROJECT_ROOT, name);
  const before = readFileSync(file, 'utf8');
  if (before === text) return void console.log(`${name}: current`);
  writeFileSync(file, text);
  console.log(`${name}: written`);
};

write('.env.example', renderEnvExample());
write('README.md', updateReadme(readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8')));
