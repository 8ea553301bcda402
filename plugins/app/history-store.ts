import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { sessionStoreUnavailable } from '../../lib/errors.js'
import { sessionKeys } from '../../lib/session-keys.js'
import type { QueryHistoryEntry } from '../../schemas/query.js'

declare module 'fastify' {
  interface FastifyInstance {
    historyStore: ReturnType<typeof createHistoryStore>
  }
}

/** Long statements are kept cut, so one session cannot fill Redis with its history. */
export const HISTORY_QUERY_MAX_CHARS = 10_000

/**
 * A session's recent queries: a Redis list, newest first, capped at HISTORY_LIMIT entries, with
 * the session's TTL. One MULTI per append, so the cap and the TTL hold even under concurrency.
 */
export function createHistoryStore (redis: Redis, prefix: string, ttlSeconds: number, limit: number) {
  function unavailable (err: unknown): never {
    const mapped = sessionStoreUnavailable()
    mapped.cause = err
    throw mapped
  }

  return {
    async append (sessionId: string, entry: QueryHistoryEntry): Promise<void> {
      if (limit === 0) return
      const key = sessionKeys(prefix, sessionId).history
      const stored = entry.query.length > HISTORY_QUERY_MAX_CHARS
        ? { ...entry, query: entry.query.slice(0, HISTORY_QUERY_MAX_CHARS) }
        : entry
      await redis.multi()
        .lpush(key, JSON.stringify(stored))
        .ltrim(key, 0, limit - 1)
        .expire(key, ttlSeconds)
        .exec()
        .catch(unavailable)
    },

    /** Newest first; an entry that does not parse is left out. */
    async list (sessionId: string): Promise<QueryHistoryEntry[]> {
      const key = sessionKeys(prefix, sessionId).history
      const replies = await redis.pipeline()
        .lrange(key, 0, Math.max(limit - 1, 0))
        .expire(key, ttlSeconds)
        .exec()
        .catch(unavailable)
      const [error, raw] = replies?.[0] ?? [null, []]
      if (error !== null) unavailable(error)
      const entries: QueryHistoryEntry[] = []
      for (const item of raw as string[]) {
        try {
          entries.push(JSON.parse(item) as QueryHistoryEntry)
        } catch {}
      }
      return entries
    }
  }
}

export default fp(async function historyStorePlugin (fastify) {
  const { REDIS_KEY_PREFIX, SESSION_TTL_SECONDS, HISTORY_LIMIT } = fastify.config
  fastify.decorate('historyStore', createHistoryStore(fastify.redis, REDIS_KEY_PREFIX, SESSION_TTL_SECONDS, HISTORY_LIMIT))
}, { name: 'history-store', dependencies: ['config', 'redis'] })
