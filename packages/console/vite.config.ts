// The console's build: two pages (operators at /console/, users at /me/) sharing one asset folder
// served by Gatehouse at /console/assets/. No inline scripts or styles end up in the HTML (strict CSP).
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('./src'),
  base: '/console/',
  plugins: [preact({ prerender: { enabled: false } })],
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: { console: here('./src/console/index.html'), me: here('./src/me/index.html') },
    },
  },
  server: {
    // `npm run dev -w packages/console`: the pages from Vite, the API from a Gatehouse on :8080
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
});
