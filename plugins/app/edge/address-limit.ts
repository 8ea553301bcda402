import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { AppError } from '../errors/errors.js'
import { addressWeight } from '../session/rate-keys.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The client address's count for this request, started as it arrived: an error if it is over. */
    addressCount: Promise<AppError | null> | null
    /**
     * The address is counted by the session script that does the request's work, which its rate
     * ticket carries it to (a `rateLimitInSession` route), or once the request ends if no script did.
     */
    addressInTicket: boolean
    /** The body came in chunks, with no Content-Length: the address is counted once it is read. */
    addressCountAfterBody: boolean
  }
}

/**
 * What a request counts against its address's budget, as far as is known: its body's weight once
 * read, before that its Content-Length's, up to the route's body limit (a larger body is refused
 * unread, and a client behind a shared address cannot spend the others' budget with one header);
 * null for a body that comes in chunks and is not read yet.
 */
function weightOf (request: FastifyRequest): number | null {
  if (request.bodyBytes > 0) return addressWeight(request.bodyBytes)
  const length = request.headers['content-length']
  if (length !== undefined) return addressWeight(Math.min(Number(length) || 0, request.routeOptions.bodyLimit))
  return request.headers['transfer-encoding'] === undefined ? 1 : null
}

/**
 * Every /api and /mcp request counts against its client's address too (RATE_LIMIT_ADDRESS_MAX per
 * window, in Redis, shared by all instances; an IPv6 address counts for its /56), whatever session
 * it names: a client that starts sessions, or names many, does not get a budget for each. A request
 * counts once, and once more for each BODY_BYTES_PER_COUNT of its body (../session/rate-keys.ts),
 * so what a client's budget buys is bounded by what its requests cost, long statements too. If Redis
 * fails, the request is not refused for it (the routes that need Redis answer 503 anyway).
 *
 * On the hot session routes (`rateLimitInSession`) the count rides in the session script that
 * does the request's work: one round trip to Redis for the request, where the count on its own
 * would be a second one before it, and under load each round trip waits for a turn of the event
 * loop. The script counts the address before it touches the session, so a request over the
 * address's budget spends nothing of the session's. A request answered before its script runs (an
 * invalid body, a missing API key) is counted once answered; one its client abandons before that
 * reached neither Redis nor the database, and is not counted. Elsewhere, and on a Redis Cluster, the
 * count starts as the request arrives and is awaited once its body is read.
 */
export default fp(async function addressLimitPlugin (fastify) {
  const { sessionStore } = fastify
  fastify.decorateRequest('addressCount', null)
  fastify.decorateRequest('addressInTicket', false)
  fastify.decorateRequest('addressCountAfterBody', false)
  const counted = (url: string | undefined): boolean => url !== undefined && (url.startsWith('/api/') || url.startsWith('/mcp'))
  const countNow = (request: FastifyRequest, weight: number) => sessionStore.countAddress('requests', request.clientAddress, weight)
  const start = (request: FastifyRequest, weight: number) => countNow(request, weight)
    .then(() => null, (err: unknown) => err instanceof AppError && err.code === 'rate_limited' ? err : null)

  fastify.addHook('onRequest', (request, _reply, done) => {
    if (counted(request.routeOptions.url)) {
      if (request.routeOptions.config.rateLimitInSession === true && sessionStore.addressInScripts) {
        request.addressInTicket = true
      } else {
        const weight = weightOf(request)
        if (weight === null) request.addressCountAfterBody = true
        else request.addressCount = start(request, weight)
      }
    }
    done()
  })
  fastify.addHook('preValidation', (request, _reply, done) => {
    // Undefined on routes of a plugin registered before this one (its requests lack the field).
    if (request.addressCountAfterBody === true) request.addressCount = start(request, addressWeight(request.bodyBytes))
    const pending = request.addressCount as Promise<AppError | null> | null | undefined
    if (pending === null || pending === undefined) {
      done()
      return
    }
    pending.then((over) => { done(over ?? undefined) }, done)
  })

  // A request whose ticket did not reach a session script (or that got none), or whose chunked
  // body was refused before it was read: counted now, its answer already given.
  const countIfMissed = (request: FastifyRequest): void => {
    const missed = request.addressInTicket
      ? request.rateTicket?.address !== null
      : request.addressCountAfterBody && request.addressCount === null
    if (missed) countNow(request, weightOf(request) ?? 1).catch(() => {})
  }
  fastify.addHook('onResponse', (request, _reply, done) => {
    countIfMissed(request)
    done()
  })
}, { name: 'address-limit', dependencies: ['session-store'] })
