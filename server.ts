import { existsSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import Fastify from 'fastify'
import app, { serverOptions } from './app.js'
import { ConfigError, loadConfig, type Config } from './config.js'

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

/** Open connections, and how many requests each is answering now, so shutdown can close the idle ones. */
const answering = new Map<Socket, number>()
fastify.server.on('connection', (socket: Socket) => {
  answering.set(socket, 0)
  socket.once('close', () => answering.delete(socket))
})
fastify.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
  const socket = request.socket
  answering.set(socket, (answering.get(socket) ?? 0) + 1)
  response.once('close', () => { if (answering.has(socket)) answering.set(socket, Math.max(0, answering.get(socket)! - 1)) })
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
  // later, and ones that have sent nothing yet (a browser's preconnect, a load balancer's warm
  // connection, which Node counts as busy until its headers timeout), would hold the server open:
  // every connection that answers no request is closed as soon as it is so.
  const sweep = setInterval(() => {
    for (const [socket, requests] of answering) if (requests === 0) socket.destroy()
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
