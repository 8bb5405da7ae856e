import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [sveltekit()],
  build: {
    // ECharts is one large chunk by design; the warning is noise.
    chunkSizeWarningLimit: 1500,
  },
  server: { fs: { allow: ['..'] } },
});
