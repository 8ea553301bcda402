import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HealthReplySchema, ReadyReplySchema } from '../../schemas/health.js'

const CHECK_TIMEOUT_MS = 1000

/** Liveness of the process, and readiness of what it depends on. */
const healthRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
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
    const [redis, mysql] = await Promise.all([
      check(() => fastify.sessionStore.ping()),
      check(() => fastify.mysql.ping())
    ])
    const ready = redis === 'ok' && mysql === 'ok'
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks: { redis, mysql } })
  })
}

async function check (probe: () => Promise<unknown>): Promise<'ok' | 'unavailable'> {
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
