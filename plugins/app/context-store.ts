import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { databaseContextMissing, sessionStoreUnavailable } from '../../lib/errors.js'
import type { DatabaseContext } from '../../schemas/database.js'
import { sessionKeys } from '../../lib/session-keys.js'

declare module 'fastify' {
  interface FastifyInstance {
    contextStore: ReturnType<typeof createContextStore>
  }
}

/**
 * A session's state in Redis. Every key of a session holds its id inside a hash tag
 * (`<prefix>session:{<id>}:...`), so all of them share one Redis Cluster slot, and every key has
 * the session's TTL, refreshed each time the session is used. Nothing is kept in process memory.
 */
export function createContextStore (redis: Redis, prefix: string, ttlSeconds: number) {
  const contextKey = (sessionId: string): string => sessionKeys(prefix, sessionId).context

  function unavailable (err: unknown): never {
    const mapped = sessionStoreUnavailable()
    mapped.cause = err
    throw mapped
  }

  return {
    /**
     * The session's context. Using a session refreshes the TTL of all its keys, in the same
     * round trip (GETEX for the context, EXPIRE for the rest).
     */
    async get (sessionId: string): Promise<DatabaseContext | null> {
      const keys = sessionKeys(prefix, sessionId)
      const replies = await redis.pipeline()
        .getex(keys.context, 'EX', ttlSeconds)
        .expire(keys.history, ttlSeconds)
        .exec()
        .catch(unavailable)
      const [error, raw] = replies?.[0] ?? [null, null]
      if (error !== null) unavailable(error)
      if (typeof raw !== 'string') return null
      let parsed: unknown
      try {
        parsed = JSON.parse(raw)
      } catch {
        return null
      }
      return isDatabaseContext(parsed) ? parsed : null
    },

    async set (sessionId: string, context: DatabaseContext): Promise<void> {
      await redis.set(contextKey(sessionId), JSON.stringify(context), 'EX', ttlSeconds).catch(unavailable)
    },

    /** The context, or 409 database_context_missing telling the client to select a database. */
    async require (sessionId: string): Promise<DatabaseContext> {
      const context = await this.get(sessionId)
      if (context === null) throw databaseContextMissing(sessionId)
      return context
    },

    async ping (): Promise<void> {
      await redis.ping()
    },

    /** Removes the context; true when there was one. */
    async clear (sessionId: string): Promise<boolean> {
      const removed = await redis.del(contextKey(sessionId)).catch(unavailable)
      return removed > 0
    }
  }
}

/** What a stored context must look like to be used (anything else counts as no context). */
function isDatabaseContext (value: unknown): value is DatabaseContext {
  if (typeof value !== 'object' || value === null) return false
  const { database_name: name, selected_at: selectedAt } = value as Record<string, unknown>
  return typeof name === 'string' && name.length > 0 && typeof selectedAt === 'string'
}

export default fp(async function contextStorePlugin (fastify) {
  const { REDIS_KEY_PREFIX, SESSION_TTL_SECONDS } = fastify.config
  fastify.decorate('contextStore', createContextStore(fastify.redis, REDIS_KEY_PREFIX, SESSION_TTL_SECONDS))
}, { name: 'context-store', dependencies: ['config', 'redis'] })
