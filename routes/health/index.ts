import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HealthReplySchema, ReadyReplySchema } from '../../schemas/health.js'
import { shareWhileRunning } from '../../plugins/app/shared-work.js'

const CHECK_TIMEOUT_MS = 1000

type Check = 'ok' | 'unavailable'

/** Liveness of the process, and readiness of what it depends on. */
const healthRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  /**
   * The readiness check in flight. /ready needs no key and is not rate-limited (orchestrators and
   * load balancers call it), so every request waiting at once shares one check: a flood of them
   * costs one database ping and one Redis PING at a time, rather than a ping each queued for the
   * pool's connections, where they took the places of the sessions' queries and, waiting past
   * the check's second, made a healthy instance answer that it was not ready.
   */
  const shared = shareWhileRunning<{ redis: Check, mysql: Check }>()
  const readiness = async () => await shared('ready', async () => {
    const [redis, mysql] = await Promise.all([check(() => fastify.sessionStore.ping()), check(() => fastify.mysql.ping())])
    return { redis, mysql }
  })

  fastify.get('/health', {
    config: { rateLimit: false },
    schema: {
      tags: ['health'],
      operationId: 'health',
      summary: 'Liveness: the process answers',
      response: { 200: HealthReplySchema }
    }
  }, async () => ({ status: 'ok' as const }))

  fastify.get('/ready', {
    config: { rateLimit: false },
    schema: {
      tags: ['health'],
      operationId: 'ready',
      summary: 'Readiness: Redis and the database both answer',
      response: { 200: ReadyReplySchema, 503: ReadyReplySchema }
    }
  }, async (_request, reply) => {
    const checks = await readiness()
    const ready = checks.redis === 'ok' && checks.mysql === 'ok'
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks })
  })
}

async function check (probe: () => Promise<unknown>): Promise<Check> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS)
  })
  try {
    await Promise.race([probe(), timeout])
    return 'ok'
  } catch {
    return 'unavailable'
  } finally {
    clearTimeout(timer)
  }
}

export default healthRoutes
