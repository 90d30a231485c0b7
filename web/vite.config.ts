import path from 'node:path';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// The browser app is built into dist/web, which the service serves itself (src/http/web.ts).
export default defineConfig({
  root: __dirname,
  base: '/',
  plugins: [vue()],
  build: {
    outDir: path.resolve(__dirname, '../dist/web'),
    emptyOutDir: true,
    // One chunk per library family keeps rebuilds and first loads predictable.
    rollupOptions: { output: { manualChunks: { 'element-plus': ['element-plus'], echarts: ['echarts/core', 'echarts/charts', 'echarts/components', 'echarts/renderers'], vue: ['vue', 'vue-router'] } } },
    chunkSizeWarningLimit: 1500,
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:3000', '/ws': { target: 'ws://127.0.0.1:3000', ws: true } } },
});
