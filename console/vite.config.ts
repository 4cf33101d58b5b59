import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the local cloud under /_console/; everything is bundled (no CDN at runtime).
export default defineConfig({
  root: import.meta.dirname,
  base: '/_console/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
});
