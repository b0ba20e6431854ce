import { fileURLToPath } from 'node:url';

import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// The Tonglu server in development; TONGLU_API_TARGET points the dev server at another one (a stub, a test run).
const apiTarget = process.env.TONGLU_API_TARGET ?? 'http://127.0.0.1:8077';

export default defineConfig({
  base: '/',
  plugins: [vue()],
  resolve: {
    alias: {
      '@': fileURLToPath(new URL('./src', import.meta.url)),
    },
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': {
        target: apiTarget,
        changeOrigin: false,
        // The live view is a WebSocket under /api/rooms/:id/live.
        ws: true,
      },
    },
  },
  preview: {
    host: '127.0.0.1',
    port: 4173,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Room PCs may run 360/奇安信-style browsers on old Chromium kernels, so syntax is lowered to Chrome 80.
    // NOTE: this lowers syntax only. Runtime APIs newer than the kernel are not polyfilled, which needs
    // @vitejs/plugin-legacy (not installed yet).
    target: ['chrome80', 'edge80', 'firefox78', 'safari14'],
    cssTarget: ['chrome80'],
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes('node_modules/element-plus') || id.includes('node_modules/@element-plus')) {
            return 'element-plus';
          }
          if (id.includes('node_modules/')) {
            return 'vendor';
          }
          return undefined;
        },
      },
    },
  },
});
