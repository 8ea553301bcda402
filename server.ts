// First of all, before any other module runs: keeps nextTick's queue entries' hidden class alive
// (a V8 inline-cache pathology that cost about 2 µs per request; see lib/tick-shape.ts).
import './lib/tick-shape.js'
import { existsSync } from 'node:fs'
import type { Socket } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import Fastify from 'fastify'
import app, { serverOptions } from './app.js'
import { ConfigError, loadConfig, type Config } from './config.js'

/**
 * V8 lets the old generation grow to several times what was live after its last full collection
 * before collecting again: under load that put this service at 250 MB of RSS with about 40 MB live.
 * 25 % keeps the peak under 150 MB at no measurable CPU cost (docs/performance.md). It is a
 * growth factor, not a cap: a heap that really needs more memory still gets it. A
 * `--heap-growing-percent` given to node on its command line wins.
 */
const HEAP_GROWING_PERCENT = 25
if (!process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent') || arg.startsWith('--heap_growing_percent'))) {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
}

// A .env file beside the process fills in what the environment does not already set.
if (existsSync('.env')) process.loadEnvFile('.env')

let config: Config
try {
  config = loadConfig(process.env)
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  console.error(err.message)
  process.exit(1)
}

const fastify = Fastify(serverOptions(config))
await fastify.register(app, { config })

/** Open connections, so that shutdown can close those with no request in progress. */
const sockets = new Set<Socket>()
fastify.server.on('connection', (socket: Socket) => {
  sockets.add(socket)
  socket.once('close', () => sockets.delete(socket))
})

/**
 * Graceful shutdown: stop accepting connections, let in-flight requests finish (at most
 * SHUTDOWN_GRACE_MS), close the database pools and Redis, exit 0. Past the grace period, exit 1.
 */
let closing = false
async function shutdown (signal: string): Promise<void> {
  if (closing) return
  closing = true
  fastify.log.info({ signal, grace_ms: config.SHUTDOWN_GRACE_MS }, 'shutting down')
  const timer = setTimeout(() => {
    fastify.log.error('requests still running after SHUTDOWN_GRACE_MS; exiting anyway')
    process.exit(1)
  }, config.SHUTDOWN_GRACE_MS)
  timer.unref()
  // Node closes the connections idle when closing starts; keep-alive ones whose request finishes
  // later would hold the server open until their timeout, so close them as they go idle. Node
  // counts a connection that has sent nothing yet (a browser's preconnect, a load balancer's warm
  // connection) as busy until its headers timeout, which held every shutdown for the whole grace:
  // what has no request being answered (no response attached to its socket) is closed too.
  const sweep = setInterval(() => {
    for (const socket of sockets) {
      if ((socket as Socket & { _httpMessage?: unknown })._httpMessage == null) socket.destroy()
    }
  }, 50)
  sweep.unref()
  await fastify.close()
  clearInterval(sweep)
  fastify.log.info('closed')
  process.exit(0)
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    shutdown(signal).catch((err: unknown) => {
      fastify.log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  })
}

try {
  await fastify.listen({ host: config.HOST, port: config.PORT })
} catch (err) {
  fastify.log.fatal({ err }, 'could not start')
  process.exit(1)
}
