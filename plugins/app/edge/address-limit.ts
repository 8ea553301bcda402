import fp from 'fastify-plugin'
import { AppError } from '../errors/errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The client address's count for this request, started as it arrived: an error if it is over. */
    addressCount: Promise<AppError | null> | null
  }
}

/**
 * Every /api and /mcp request counts against its client's address too (RATE_LIMIT_ADDRESS_MAX per
 * window, in Redis, shared by all instances; an IPv6 address counts for its /56), whatever session
 * it names: a client that starts sessions, or names many, does not get a budget for each. The
 * count starts as the request arrives and is awaited once its body is read, so it costs no wait
 * of its own. If Redis fails, the request is not refused for it (the routes that need Redis
 * answer 503 anyway).
 */
export default fp(async function addressLimitPlugin (fastify) {
  const { sessionStore } = fastify
  fastify.decorateRequest('addressCount', null)
  const counted = (url: string | undefined): boolean => url !== undefined && (url.startsWith('/api/') || url.startsWith('/mcp'))

  fastify.addHook('onRequest', (request, _reply, done) => {
    if (counted(request.routeOptions.url)) {
      request.addressCount = sessionStore.countAddress('requests', request.ip)
        .then(() => null, (err: unknown) => err instanceof AppError && err.code === 'rate_limited' ? err : null)
    }
    done()
  })
  fastify.addHook('preValidation', (request, _reply, done) => {
    // Undefined on routes of a plugin registered before this one (its requests lack the field).
    const pending = request.addressCount as Promise<AppError | null> | null | undefined
    if (pending === null || pending === undefined) {
      done()
      return
    }
    pending.then((over) => { done(over ?? undefined) }, done)
  })
}, { name: 'address-limit', dependencies: ['session-store'] })
