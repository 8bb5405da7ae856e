// SvelteKit configuration for the dashboard. Vite and svelte-kit read this file from the working
// directory, so every build/check runs with cwd = web/ (see web/server/build.ts and package.json).
import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { newBuildDir, pruneBuilds, switchBuild } from './server/build-dirs.js';

/** @param {string} path */
const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/**
 * adapter-node reads `package.json` from the working directory to decide which packages stay
 * external. The project has one package.json, at the repository root (no web/package.json), so
 * the adapter runs there: root dependencies stay in node_modules, resolved from web/builds/<id>.
 *
 * Each build is written into a fresh web/builds/<id> and only then made current by switching the
 * web/build symlink (server/build-dirs.js): writing over the served directory (adapter-node empties
 * its `out` first) broke running servers and the tabs open on them until a restart.
 */
/**
 * @param {Omit<import('@sveltejs/adapter-node').AdapterOptions, 'out'>} options
 * @returns {import('@sveltejs/kit').Adapter}
 */
function nodeAdapter(options) {
  return {
    ...adapter(options),
    /** @param {import('@sveltejs/kit').Builder} builder */
    async adapt(builder) {
      const out = newBuildDir();
      const cwd = process.cwd();
      process.chdir(here('..'));
      try {
        await adapter({ ...options, out }).adapt(builder);
      } finally {
        process.chdir(cwd);
      }
      switchBuild(out);
      const removed = pruneBuilds();
      builder.log.minor(`web/build → ${out}${removed.length ? ` (removed ${removed.length} old build(s))` : ''}`);
    },
  };
}

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
  kit: {
    // envPrefix: adapter-node reads CRM_WEB_ORIGIN, CRM_WEB_PROTOCOL_HEADER, … instead of bare
    // HOST/PORT/ORIGIN, so unrelated variables in a developer's shell never change the server.
    adapter: nodeAdapter({ precompress: false, envPrefix: 'CRM_WEB_' }),
    // Kept on (the default): form posts whose Origin differs from the site's are refused.
    csrf: { trustedOrigins: [] },
    alias: { $lib: 'src/lib' },
    // The page's own scripts only: SvelteKit adds a nonce (rendered pages) or a hash (prerendered)
    // to its hydration script, so no 'unsafe-inline' for scripts and injected markup cannot run.
    csp: {
      mode: 'auto',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        // 'unsafe-inline' for styles only, because ECharts builds its tooltips as HTML with inline
        // style attributes (markers, padding) and Svelte renders style: directives and component
        // CSS variables as style attributes; neither can carry a nonce. Styles cannot run code.
        // (With 'unsafe-inline' present SvelteKit adds no style nonce, which would disable it.)
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:'],
        'font-src': ['self'],
        // The browser talks to its own origin only: pages, /api/cube-token and the /cubejs-api proxy.
        'connect-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'frame-ancestors': ['none'],
        'form-action': ['self'],
      },
    },
  },
};

export default config;
