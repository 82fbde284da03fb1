import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Builds the web app into dist/web, which the server serves (src/api/web-app.ts). */
export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [react()],
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: true,
  },
  server: {
    // `npx vite --config web/vite.config.ts` for development, with `npm start` running the API.
    proxy: { '/v1': 'http://127.0.0.1:3000' },
    fs: { allow: [here('..')] },
  },
});
