// ESLint (flat config): `npm run lint`, run by the unit lane of `npm test`.
// typescript-eslint's recommended rules (syntax only, no type information: the type-aware set would
// type-check the project a second time, and `tsc --noEmit` already does) plus Svelte's recommended
// rules for the dashboard's components.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './web/svelte.config.js';

export default ts.config(
  {
    // Generated or not ours: build output, SvelteKit's generated types, data and test artifacts.
    ignores: [
      '**/node_modules/**',
      '.data/**',
      '.out/**',
      '.scratch/**',
      'test-artifacts/**',
      'web/build/**',
      'web/builds/**',
      'web/.svelte-kit/**',
    ],
  },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Unused bindings are errors; a leading underscore marks one kept on purpose (a callback's
      // unused argument, a destructured element skipped, a caught error that is not needed).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // `import type` keeps type-only imports out of the emitted JavaScript (tsx and Vite strip
      // them file by file, without the type information to tell).
      // (`import('…')` in a type position stays allowed: SvelteKit's app.d.ts declares its types so.)
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      // The rule asks every href and goto() to go through $app/paths' resolve() so a base path can
      // be added later. The dashboard is served at its origin's root (web/svelte.config.js sets no
      // kit.paths.base) and its links carry query strings built by the filter helpers. Turn the
      // rule back on if a base path is ever configured.
      'svelte/no-navigation-without-resolve': 'off',
    },
  },
  {
    // The dashboard's browser code (pages, components, the client half of $lib).
    files: ['web/src/**/*.{ts,svelte}'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
  {
    // Svelte components and rune modules: the Svelte parser, TypeScript inside <script lang="ts">.
    files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
    languageOptions: {
      parserOptions: {
        parser: ts.parser,
        extraFileExtensions: ['.svelte'],
        svelteConfig,
      },
    },
  },
  {
    // CommonJS shims (notebooks/lib/import.cjs lets tslab's CommonJS kernel load ESM modules).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
