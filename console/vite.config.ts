import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

/**
 * The console: built from this folder into dist/public (next to the compiled service, which serves
 * it at /). Relative asset paths, so it works behind a proxy that serves sqlgate under a path; no
 * inline script (the page's content security policy allows only this origin's scripts).
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  publicDir: 'static',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/public/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 800
  }
})
