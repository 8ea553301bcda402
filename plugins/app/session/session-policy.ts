import fp from 'fastify-plugin'
import type { FastifyBaseLogger } from 'fastify'
import { AppError, invalidSessionId } from '../errors/errors.js'
import { generateSessionId, hashSessionId, isValidSessionId } from './session-id.js'
import type { createSessionStore } from './session-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    sessionPolicy: ReturnType<typeof createSessionPolicy>
  }
}

/**
 * Where a request's session id came from: a route's URL, the JSON body, the X-Session-Id header,
 * the session cookie, none (a new session), MCP's Mcp-Session-Id header, or a tool call's
 * `session_id`.
 */
export type SessionSource = 'url' | 'body' | 'header' | 'cookie' | 'new' | 'mcp' | 'tool'

/**
 * What every way in asks of a session id, in one place: the HTTP routes (plugins/app/session/
 * session.ts), the MCP endpoint and its tools. A supplied id must be well-formed (400
 * invalid_session_id, never silently replaced). A new session counts against its client's address
 * (RATE_LIMIT_MAX per window) and is issued. A session read by URL counts against its reader's
 * address. With SESSION_STRICT, an id this service did not issue is never adopted: one a client
 * names as its own (body, header, cookie) is replaced by a new session; one it only looks at or
 * works on (URL, MCP, a tool's) answers 404 session_not_found.
 */
export function createSessionPolicy (store: ReturnType<typeof createSessionStore>, strict: boolean) {
  /** Whether `settle` must ask Redis about an id from `source`; else it is the id itself, at once. */
  const asksRedis = (source: SessionSource): boolean => strict || source === 'new' || source === 'url'

  return {
    asksRedis,

    /** A well-formed supplied id, or 400 invalid_session_id naming where it came from. */
    supplied (value: unknown, where: string): string {
      if (!isValidSessionId(value)) throw invalidSessionId(where)
      return value
    },

    /** A new session for a client at `address`: counted against it, then issued. */
    async start (address: string): Promise<string> {
      const sessionId = generateSessionId()
      await store.issue(sessionId, address)
      return sessionId
    },

    /** The session a request gets for the id `sessionId` from `source` (see above), and where it came from then. */
    async settle (sessionId: string, source: SessionSource, address: string, log: FastifyBaseLogger): Promise<[string, SessionSource]> {
      if (source === 'new') return [await this.start(address), 'new']
      if (source === 'url') await store.countAddress('sessions', address)
      if (!strict || await store.isKnown(sessionId)) return [sessionId, source]
      if (source === 'url' || source === 'mcp' || source === 'tool') throw sessionNotFound(source)
      // Never adopt an id the client chose: that is how session fixation works. A cookie this
      // service signed names a session that has ended (idle past SESSION_TTL_SECONDS): no alarm.
      if (source === 'cookie') log.debug({ session: hashSessionId(sessionId) }, 'the cookie\'s session has ended: a new one is issued')
      else log.warn({ session: hashSessionId(sessionId), source }, 'unknown session id replaced by a new one (SESSION_STRICT)')
      return [await this.start(address), 'new']
    }
  }
}

function sessionNotFound (source: SessionSource): AppError {
  return new AppError('session_not_found', source === 'mcp'
    ? 'Unknown or expired MCP session: initialize a new one.'
    : 'No session with this id was issued by this service, or it has ended (SESSION_STRICT).')
}

export default fp(async function sessionPolicyPlugin (fastify) {
  fastify.decorate('sessionPolicy', createSessionPolicy(fastify.sessionStore, fastify.config.SESSION_STRICT))
}, { name: 'session-policy', dependencies: ['config', 'session-store'] })
