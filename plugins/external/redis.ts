import { setTimeout as sleep } from 'node:timers/promises'
import fp from 'fastify-plugin'
import redis from '@fastify/redis'
import { Cluster, Redis, type Command, type RedisOptions } from 'ioredis'
import { withoutCredentials, type Config } from '../../config.js'

const STARTUP_WAIT_MS = 5000

/** How long a command may wait for its answer before it fails (in place of ioredis's commandTimeout option; see commandDeadlines). */
export const COMMAND_TIMEOUT_MS = 1000

/** Options for every connection: fail fast while Redis is away, batch commands under load. */
const CONNECTION: RedisOptions = {
  connectTimeout: 1000,
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
    // Each node's connection batches its turn's commands like a single node's (see batchWrites).
    cluster.on('+node', (node: Redis) => { batchWrites(node) })
    return cluster
  }
  if (config.REDIS_SENTINELS.length > 0) {
    return batchWrites(new Redis({
      ...CONNECTION,
      ...credentials,
      sentinels: config.REDIS_SENTINELS.map(hostPort),
      name: config.REDIS_SENTINEL_NAME,
      retryStrategy,
      sentinelRetryStrategy: retryStrategy
    }))
  }
  return batchWrites(new Redis(config.REDIS_URL, { ...CONNECTION, retryStrategy }))
}

/**
 * Commands sent during one turn of the event loop (many requests' worth under load) leave in one
 * write: the socket is corked at the turn's first command and uncorked once the turn's I/O
 * callbacks have run (setImmediate). Redis then reads them in one go too.
 *
 * This is what ioredis's enableAutoPipelining does for the syscalls, without its costs: it builds a
 * Pipeline object per batch, runs one batch at a time and answers a command only when its whole
 * batch has answered; under load those batches kept their commands alive across young-generation
 * collections, and V8 promoted about 3 MB per collection to the old generation (peak RSS 250 MB
 * against 190 MB with this, same CPU per request; see docs/performance.md). In a Cluster, each
 * node's connection is corked the same way. Each command also gets its deadline here
 * (commandDeadlines, below).
 */
export function batchWrites (client: Redis): Redis {
  const send = client.sendCommand
  const deadlines = commandDeadlines(COMMAND_TIMEOUT_MS)
  let corked: Redis['stream'] | null = null
  const uncork = (): void => {
    corked?.uncork()
    corked = null
  }
  client.sendCommand = function sendCommand (command: Command, stream?: Parameters<Redis['sendCommand']>[1]) {
    // Only once ready: before that, ioredis's own handshake commands go straight out.
    if (corked === null && client.status === 'ready') {
      corked = client.stream
      corked.cork()
      setImmediate(uncork)
    }
    const sent = send.call(client, command, stream)
    deadlines.watch(command)
    return sent
  }
  return client
}

/**
 * ioredis's commandTimeout, with one timer per connection instead of one per command: a command
 * not answered `timeoutMs` after it was sent fails with ioredis's own "Command timed out", which the
 * session store answers as 503 session_store_unavailable. ioredis arms a timer (and a closure) for
 * every command and clears it at the answer; here a command joins a queue in the order it was sent,
 * which is the order Redis answers a connection's commands in, and the one timer waits for the
 * oldest unanswered one. Answered commands leave the queue as soon as a later command is sent or
 * the timer runs, so none is kept alive past its answer for long.
 */
export function commandDeadlines (timeoutMs: number) {
  let pending: Array<Command | undefined> = []
  let sentAt: number[] = []
  let head = 0
  let timer: NodeJS.Timeout | null = null

  /** Drops the answered commands at the head of the queue; with `now`, fails the overdue ones. */
  function advance (now?: number): void {
    while (head < pending.length) {
      const command = pending[head]!
      if (!command.isSettled) {
        if (now === undefined || now - sentAt[head]! < timeoutMs) break
        command.reject(new Error('Command timed out'))
      }
      pending[head] = undefined
      head++
    }
    if (head === pending.length) {
      pending = []
      sentAt = []
      head = 0
    } else if (head >= 1024 && head * 2 >= pending.length) {
      pending = pending.slice(head)
      sentAt = sentAt.slice(head)
      head = 0
    }
  }

  function check (): void {
    timer = null
    const now = Date.now()
    advance(now)
    if (head < pending.length) arm(timeoutMs - (now - sentAt[head]!))
  }

  function arm (ms: number): void {
    timer = setTimeout(check, Math.max(0, ms))
    timer.unref()
  }

  return {
    watch (command: Command): void {
      if (command.isSettled) return // refused at once (not connected)
      advance()
      pending.push(command)
      sentAt.push(Date.now())
      if (timer === null) arm(timeoutMs)
    }
  }
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
