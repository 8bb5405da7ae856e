import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Unit and component tests of the dashboard (`npm run test:web`). jsdom has no canvas and no
 * ResizeObserver: chart components are tested through their option builders, and the ECharts
 * action is tested with the SVG renderer and a stubbed ResizeObserver.
 */
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  plugins: [svelte({ configFile: false, compilerOptions: { runes: true } })],
  resolve: {
    alias: { $lib: `${root}src/lib` },
    // Component tests mount Svelte's browser build.
    conditions: ['browser'],
  },
  test: {
    include: ['src/**/*.spec.ts'],
    // Pure modules run in node; component specs opt into jsdom with a `@vitest-environment jsdom` comment.
    environment: 'node',
    setupFiles: ['./vitest.setup.ts'],
  },
});
