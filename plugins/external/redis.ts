import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import redis from '@fastify/redis'
import { Redis } from 'ioredis'

const STARTUP_WAIT_MS = 5000

/**
 * The session store, as `fastify.redis`. Commands fail fast instead of queueing while Redis is
 * away (no offline queue, bounded connect and command timeouts), so a request that needs the
 * session answers 503 session_store_unavailable quickly, and the client keeps reconnecting in
 * the background.
 *
 * @fastify/redis waits, without limit, for the first connection. Start-up bounds that wait and
 * fails with an error naming the address, instead of hanging until the plugin timeout.
 */
export default fp(async function redisPlugin (fastify) {
  const client = new Redis(fastify.config.REDIS_URL, {
    connectTimeout: 1000,
    commandTimeout: 1000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
    // Commands issued in the same tick (many requests' worth under load) go out in one write.
    enableAutoPipelining: true,
    connectionName: 'sqlgate'
  })
  client.on('error', (err: Error) => {
    fastify.log.debug({ err }, 'redis connection error')
  })

  // Not events.once: it gives up at the first connection error, and Redis may still be starting.
  const ready = new Promise<boolean>((resolve) => client.once('ready', () => resolve(true)))
  const connected = await Promise.race([ready, sleep(STARTUP_WAIT_MS, false, { ref: false })])
  if (!connected) {
    client.disconnect()
    const where = fastify.config.REDIS_URL.replace(/\/\/[^@/]*@/, '//')
    throw new Error(`sqlgate: Redis is not reachable at ${where} (waited ${STARTUP_WAIT_MS / 1000}s); check REDIS_URL`)
  }

  await fastify.register(redis, { client })
  fastify.addHook('onClose', async () => {
    // quit() flushes pending replies; while disconnected there is nothing to flush.
    if (client.status === 'ready') await client.quit().catch(() => client.disconnect())
    else client.disconnect()
  })
}, { name: 'redis', dependencies: ['config'] })
