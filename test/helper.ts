/**
 * Everything the tests share, by what it helps with: building the app as production does
 * (helpers/app.ts), databases and their users (helpers/database.ts), Redis and throwaway Redis
 * servers (helpers/redis.ts), ports and proxies (helpers/network.ts), child processes and memory
 * (helpers/processes.ts), the browser (helpers/browser.ts), and exports as a client reads them (helpers/export.ts).
 */
export * from './helpers/app.js'
export * from './helpers/browser.js'
export * from './helpers/context.js'
export * from './helpers/database.js'
export * from './helpers/export.js'
export * from './helpers/network.js'
export * from './helpers/processes.js'
export * from './helpers/redis.js'
