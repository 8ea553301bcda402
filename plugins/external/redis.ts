import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import redis from '@fastify/redis'
import { Cluster, Redis, type RedisOptions } from 'ioredis'
import { withoutCredentials, type Config } from '../../config.js'

const STARTUP_WAIT_MS = 5000

/** How long a command may wait for its answer before it fails. */
export const COMMAND_TIMEOUT_MS = 1000

/** Options for every connection: fail fast while Redis is away (a command waits a second at most). */
const CONNECTION: RedisOptions = {
  connectTimeout: 1000,
  commandTimeout: COMMAND_TIMEOUT_MS,
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  connectionName: 'sqlgate'
}

function hostPort (node: string): { host: string, port: number } {
  const at = node.lastIndexOf(':')
  return { host: node.slice(0, at), port: Number(node.slice(at + 1)) }
}

/**
 * One Redis node (REDIS_URL), a Redis Cluster (REDIS_CLUSTER_NODES) or a Sentinel-managed primary
 * (REDIS_SENTINELS + REDIS_SENTINEL_NAME). For the last two, REDIS_URL still gives the credentials
 * and TLS (rediss://) of the data nodes. Failovers and MOVED/ASK redirections are the client's job.
 */
export function createRedisClient (config: Config): Redis | Cluster {
  const url = new URL(config.REDIS_URL)
  const credentials: RedisOptions = {
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {})
  }
  const retryStrategy = (attempt: number) => Math.min(attempt * 100, 1000)
  if (config.REDIS_CLUSTER_NODES.length > 0) {
    const cluster = new Cluster(config.REDIS_CLUSTER_NODES.map(hostPort), {
      enableOfflineQueue: false,
      clusterRetryStrategy: retryStrategy,
      // MOVED/ASK take a hop or two; a node that is down should answer 503 in about a second,
      // not after ioredis's default 16 retries.
      maxRedirections: 4,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      redisOptions: { ...CONNECTION, ...credentials }
    })
    return cluster
  }
  if (config.REDIS_SENTINELS.length > 0) {
    return new Redis({
      ...CONNECTION,
      ...credentials,
      sentinels: config.REDIS_SENTINELS.map(hostPort),
      name: config.REDIS_SENTINEL_NAME,
      retryStrategy,
      sentinelRetryStrategy: retryStrategy
    })
  }
  return new Redis(config.REDIS_URL, { ...CONNECTION, retryStrategy })
}

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
  const client = createRedisClient(fastify.config)
  client.on('error', (err: Error) => {
    fastify.log.debug({ err }, 'redis connection error')
  })

  // Not events.once: it gives up at the first connection error, and Redis may still be starting.
  const ready = new Promise<boolean>((resolve) => client.once('ready', () => resolve(true)))
  const connected = await Promise.race([ready, sleep(STARTUP_WAIT_MS, false, { ref: false })])
  if (!connected) {
    client.disconnect()
    const { REDIS_CLUSTER_NODES: cluster, REDIS_SENTINELS: sentinels, REDIS_URL: url } = fastify.config
    const where = cluster.length > 0
      ? `the cluster nodes ${cluster.join(', ')} (REDIS_CLUSTER_NODES)`
      : sentinels.length > 0 ? `the sentinels ${sentinels.join(', ')} (REDIS_SENTINELS)` : `${withoutCredentials(url)}; check REDIS_URL`
    throw new Error(`sqlgate: Redis is not reachable at ${where} (waited ${STARTUP_WAIT_MS / 1000}s)`)
  }

  // @fastify/redis types its decorator as a single-node client; a Cluster has the same commands.
  await fastify.register(redis, { client: client as Redis })
  fastify.addHook('onClose', async () => {
    // quit() flushes pending replies; while disconnected there is nothing to flush.
    if (client.status === 'ready') await client.quit().catch(() => client.disconnect())
    else client.disconnect()
  })
}, { name: 'redis', dependencies: ['config'] })
