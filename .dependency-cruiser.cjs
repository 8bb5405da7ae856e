// dependency-cruiser: the architecture in README.md ("Architecture"), checked on every import.
// `npm run lint:deps` (run by the unit lane of `npm test`).
//
// The parts and what each may import:
//   lib/                          nothing of the project: it is imported by everyone
//   ingest/, semantic/, models/   lib/ (and their own files): no part reaches into another
//   alerts/, web/, notebooks/     lib/ and another part's public entry (`<part>/index.ts`) only
//   bin/                          anything but test/ and bench/: it wires the product together
//   bench/, test/                 anything (they measure and test the product)
// and nothing in the product imports test/ or bench/. Plus: no cycles, no import that does not
// resolve, no package that is not in package.json, no devDependency in code the product runs.
//
// Imports of types count like any other (tsPreCompilationDeps): a type is part of the contract.

/** The top-level parts whose boundaries are checked. */
const PARTS = '(ingest|semantic|models|alerts|web|notebooks|lib|bin|bench|test)';
/** Code the product runs (as opposed to tests, benchmarks and build/test configuration). */
const PRODUCT = '^(ingest|semantic|models|alerts|web|notebooks|lib|bin)/';
/** Not part of what the product runs, although they live beside it. */
const NOT_PRODUCT = [
  '\\.spec\\.ts$', // web's vitest specs
  '^web/(vite|vitest)\\.config\\.ts$',
  '^web/vitest\\.setup\\.ts$',
  '^web/svelte\\.config\\.js$',
  '^models/bench/', // benchmarks of the models against reference implementations
  '^web/dev\\.ts$', // the dashboard's development server
];

/** Cube's own packages inside @cubejs-backend/server (see the no-non-package-json rule). */
const CUBE_INTERNALS = '^node_modules/@cubejs-backend/(server-core|api-gateway|shared)/';

/**
 * alerts, web and notebooks may import lib/ and another part's public entry (<part>/index.ts), not
 * its internals. `allowed`: known imports past an entry, each with the issue that removes it.
 */
const consumer = (part, allowed = []) => ({
  name: `${part}-imports-public-entries`,
  severity: 'error',
  comment: `${part}/ may import lib/ and another part's public entry (<part>/index.ts), not its internals.`,
  from: { path: `^${part}/` },
  to: {
    path: `^${PARTS}/`,
    pathNot: [`^${part}/`, '^lib/', '^(ingest|semantic|models|alerts|notebooks)/index\\.ts$', ...allowed],
  },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means neither module can be understood, tested or moved without the other.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lib-imports-no-part',
      severity: 'error',
      comment: 'lib/ is shared by every part and owned by none: it may not depend on any of them.',
      from: { path: '^lib/' },
      to: { path: `^${PARTS}/`, pathNot: '^lib/' },
    },
    {
      name: 'layer-imports-only-lib',
      severity: 'error',
      comment:
        'ingest, semantic and models talk to each other through the warehouse (README: data flows one ' +
        'way), never through imports: each may import lib/ and itself only.',
      from: { path: '^(ingest|semantic|models)/' },
      to: { path: `^${PARTS}/`, pathNot: ['^$1/', '^lib/'] },
    },
    consumer('alerts'),
    consumer('web'),
    consumer('notebooks'),
    {
      name: 'product-not-to-tests-or-bench',
      severity: 'error',
      comment: 'The product never imports tests or benchmarks (bin/ included: it is what npm start runs).',
      from: { path: PRODUCT, pathNot: NOT_PRODUCT },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'product-not-to-dev-dependencies',
      severity: 'error',
      comment:
        'Code the product runs may not import a devDependency: `npm install --omit=dev` (the Docker image) would break.',
      from: { path: PRODUCT, pathNot: NOT_PRODUCT },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-non-package-json',
      severity: 'error',
      comment:
        'An import of a package that is not in package.json works only while another package happens to bring it.',
      from: {},
      to: {
        dependencyTypes: ['npm-no-pkg', 'npm-unknown'],
        // Known (issue 12): the Cube process takes server-core, api-gateway and shared from inside
        // @cubejs-backend/server 0.33.65 (pinned, see semantic/README.md), found today by hoisting;
        // they should be required through the server's own require like express and cors are
        // (semantic/cube-process.ts, serverRequire). Listing them in package.json would be wrong:
        // it would pin copies that may differ from the server's.
        pathNot: CUBE_INTERNALS,
      },
    },
    {
      name: 'no-non-package-json-cube',
      severity: 'error',
      comment: "Cube's internals (above) only where they are known to be taken from today.",
      from: { pathNot: '^(semantic/cube-process|bench/semantic)\\.ts$' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'], path: CUBE_INTERNALS },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        "An import that does not resolve to a file (SvelteKit's virtual $app/ and $env/ modules and its generated ./$types excepted).",
      from: {},
      to: { couldNotResolve: true, pathNot: ['^\\$(app|env|service-worker)(/|$)', '(^|/)\\$types$'] },
    },
    {
      name: 'no-deprecated-core',
      severity: 'error',
      comment: 'A deprecated Node core module.',
      from: {},
      to: { dependencyTypes: ['core'], path: '^(punycode|domain|constants|sys|_linklist|_stream_wrap)$' },
    },
    {
      name: 'no-duplicate-dependency-types',
      severity: 'error',
      comment: 'A package listed both as a dependency and a devDependency.',
      from: {},
      to: { moreThanOneDependencyType: true, dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    // The whole tree (npm run lint:deps cruises `.`) but dot-files and dot-folders (.data, scratch),
    // generated code and artifacts; node_modules is reached, never followed.
    exclude: { path: '^\\.|^web/\\.svelte-kit/|^web/build/|^web/builds/|^test-artifacts/|^deploy/|^docs/' },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // SvelteKit's `$lib` alias (web/svelte.config.js); resolved here because web/tsconfig.json
    // extends a file `svelte-kit sync` generates, which a fresh clone does not have.
    webpackConfig: { fileName: '.dependency-cruiser.aliases.cjs' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types', 'svelte'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.svelte', '.json', '.d.ts'],
    },
    skipAnalysisNotInRules: true,
    cache: { folder: 'node_modules/.cache/dependency-cruiser', strategy: 'content' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
