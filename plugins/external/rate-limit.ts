import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { rateLimited } from '../app/errors/errors.js'
import { addressRateLimitKey, addressWeight, rateLimitKey, rateLimitNameSpace, type RateTicket } from '../app/session/rate-keys.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route's handler passes `request.rateTicket` to the session operation that does its work,
     * which counts the request in the same Redis round trip; the plugin's own hook is skipped.
     */
    rateLimitInSession?: boolean
  }
  interface FastifyRequest {
    /** On `rateLimitInSession` routes: this request's share of the session's rate limit. */
    rateTicket: RateTicket | null
  }
}

/**
 * RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_MS, counted in Redis so every instance shares
 * the count: per session on /api routes (the session is resolved before this hook runs), per
 * client address elsewhere. Routes opt out with `config: { rateLimit: false }` (health checks).
 * If Redis fails, requests are not refused for it: the routes that need Redis answer 503 anyway.
 *
 * The hot session routes (`config: { rateLimitInSession: true }`) count the request inside the
 * session script that does their work, on the same key with the same arithmetic as the plugin's
 * Redis store: one round trip instead of two, and one budget whichever route a session uses.
 */
export default fp(async function rateLimitPlugin (fastify) {
  const { RATE_LIMIT_MAX, RATE_LIMIT_WINDOW_MS, REDIS_KEY_PREFIX } = fastify.config
  fastify.decorateRequest('rateTicket', null)
  await fastify.register(rateLimit, {
    global: true,
    max: RATE_LIMIT_MAX,
    timeWindow: RATE_LIMIT_WINDOW_MS,
    hook: 'preHandler',
    redis: fastify.redis,
    nameSpace: rateLimitNameSpace(REDIS_KEY_PREFIX),
    skipOnError: true,
    keyGenerator: (request) => request.sessionId !== '' ? rateLimitKey(request.sessionId) : addressRateLimitKey(request.clientAddress),
    errorResponseBuilder: (_request, context) => rateLimited(context.max, RATE_LIMIT_WINDOW_MS, context.ttl)
  })

  // Callback hooks, not async ones: they run on every hot request and never wait for anything.
  const issueTicket = (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    // The client address rides along when the session script is to count it (../app/edge/address-limit.ts).
    request.rateTicket = { counted: null, address: request.addressInTicket ? request.clientAddress : null, weight: addressWeight(request.bodyBytes) }
    done()
  }
  const ticketHeaders = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void => {
    const counted = request.rateTicket?.counted
    if (counted !== null && counted !== undefined) {
      // The headers @fastify/rate-limit sends.
      reply.header('x-ratelimit-limit', RATE_LIMIT_MAX)
      reply.header('x-ratelimit-remaining', Math.max(0, RATE_LIMIT_MAX - counted.current))
      reply.header('x-ratelimit-reset', Math.ceil(counted.ttlMs / 1000))
    }
    done(null, payload)
  }
  fastify.addHook('onRoute', (route) => {
    if (route.config?.rateLimitInSession !== true) return
    if (route.config.rateLimit !== false) throw new Error(`${route.method} ${route.url}: rateLimitInSession needs rateLimit: false`)
    route.preHandler = [...[route.preHandler ?? []].flat(), issueTicket]
    route.onSend = [...[route.onSend ?? []].flat(), ticketHeaders]
  })
}, { name: 'rate-limit', dependencies: ['config', 'redis', 'session-fields'] })
