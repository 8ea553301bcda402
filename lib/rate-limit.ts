/**
 * The key a session's requests are counted under for the rate limit: @fastify/rate-limit's key
 * (its name space, then the key generator's `session:{id}`), in the session's hash tag, so the
 * session's scripts can count a request in the same round trip as its work.
 */
export function sessionRateKey (prefix: string, sessionId: string): string {
  return rateLimitNameSpace(prefix) + rateLimitKey(sessionId)
}

/** Where @fastify/rate-limit keeps its counts (REDIS_KEY_PREFIX first). */
export function rateLimitNameSpace (prefix: string): string {
  return `${prefix}ratelimit:`
}

/** The rate limit's key for a client address (requests with no session), below its name space. */
export function addressRateLimitKey (address: string): string {
  return `ip:${address}`
}

/** The full key a client address's requests are counted under. */
export function addressRateKey (prefix: string, address: string): string {
  return rateLimitNameSpace(prefix) + addressRateLimitKey(address)
}

/** The rate limit's key for a session, below its name space. */
export function rateLimitKey (sessionId: string): string {
  return `session:{${sessionId}}`
}

/**
 * One request's share of the rate limit, handed to the session operation that does the request's
 * work, which counts it in the same script; `counted` is filled in then (also when over the limit).
 */
export interface RateTicket {
  counted: { current: number, ttlMs: number } | null
}
