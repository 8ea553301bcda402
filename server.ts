import { existsSync } from 'node:fs'
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

let closing = false
async function shutdown (signal: string): Promise<void> {
  if (closing) return
  closing = true
  fastify.log.info({ signal }, 'shutting down')
  await fastify.close()
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
