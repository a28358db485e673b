// The dashboard's build: web/ → dist/web (served by the orchestrator at /ui/). dist/web also holds the
// compiled unit tests of web/src's pure modules (the server's tsc), so the output directory is not emptied.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/ui/',
  plugins: [react()],
  build: { outDir: '../dist/web', emptyOutDir: false, sourcemap: true },
});
