/**
 * Before the tests (tap's `before`): the console built as `npm run build` builds it, into
 * dist/public, where the console route serves it from when the service runs from source.
 */
import { build } from 'vite'

const started = performance.now()
await build({ configFile: new URL('../../console/vite.config.ts', import.meta.url).pathname, logLevel: 'warn' })
console.log(`# the console built in ${Math.round(performance.now() - started)} ms`)
