import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

/**
 * Writes `.br` and `.gz` next to every text file of the build, so the API (which serves
 * `dist/` with `preCompressed`) sends compressed bytes without compressing per request. A few
 * lines of node:zlib; the registry's compression plugins bring far more than this needs.
 */
function precompress(): Plugin {
  return {
    name: 'waiaas-precompress',
    apply: 'build',
    enforce: 'post',
    async writeBundle(options, bundle) {
      const dir = options.dir ?? 'dist';
      for (const fileName of Object.keys(bundle)) {
        if (!/\.(js|css|html|svg)$/.test(fileName)) continue;
        const bytes = await readFile(join(dir, fileName));
        await writeFile(join(dir, `${fileName}.gz`), gzipSync(bytes, { level: 9 }));
        await writeFile(
          join(dir, `${fileName}.br`),
          brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
    },
  };
}

// The API serves the build under /console/; in development Vite serves the page and proxies
// the API, so the session cookie stays same-origin either way.
export default defineConfig({
  base: '/console/',
  // @waiaas/client is bundled from its TypeScript source, the way every workspace package is
  // consumed in development; the output is the same code its dist would be.
  resolve: { conditions: ['@waiaas/source', ...defaultClientConditions] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  plugins: [precompress()],
  build: {
    target: 'es2022',
    modulePreload: { polyfill: false },
  },
  server: {
    port: Number(process.env.CONSOLE_DEV_PORT ?? 5173),
    strictPort: true,
    proxy: {
      // changeOrigin stays false: the API compares Origin with Host on console mutations.
      '/v1': { target: process.env.WAIAAS_API_URL ?? 'http://127.0.0.1:3000' },
    },
  },
});
