import { isIPv4, isIPv6 } from 'node:net'

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
  return `ip:${addressBucket(address)}`
}

/** Bits of an IPv6 address that name one client: a /56, what ISPs commonly give one customer. */
const IPV6_CLIENT_PREFIX = 56

/**
 * The client an address counts for. An IPv4 address is itself (also written IPv4-mapped,
 * `::ffff:192.0.2.7`); an IPv6 address counts for its /56: a client commonly holds at least a /64
 * (2^64 addresses), and counted address by address it would have had as many budgets.
 */
export function addressBucket (address: string): string {
  const plain = address.replace(/%.*$/, '') // a zone id (fe80::1%eth0)
  if (isIPv4(plain)) return plain
  if (!isIPv6(plain)) return address
  const groups = ipv6Groups(plain)
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff
  if (mapped) return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`
  const kept = groups.map((group, i) => {
    const bits = Math.min(16, Math.max(0, IPV6_CLIENT_PREFIX - 16 * i))
    return group & (0xffff << (16 - bits)) & 0xffff
  })
  return `${kept.slice(0, Math.ceil(IPV6_CLIENT_PREFIX / 16)).map((group) => group.toString(16)).join(':')}::/${IPV6_CLIENT_PREFIX}`
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing IPv4 part read as two). */
function ipv6Groups (address: string): number[] {
  let text = address
  const lastColon = text.lastIndexOf(':')
  const tail = text.slice(lastColon + 1)
  if (isIPv4(tail)) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number]
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, rest] = text.split('::') as [string, string | undefined]
  const parse = (part: string | undefined) => part === undefined || part === '' ? [] : part.split(':').map((group) => parseInt(group, 16))
  const front = parse(head)
  const back = parse(rest)
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back]
}

/**
 * What a client address is counted for: `requests`, every /api and /mcp request
 * (RATE_LIMIT_ADDRESS_MAX); `sessions`, the sessions it starts and the sessions it reads by URL
 * (RATE_LIMIT_MAX), which cost no session's budget of their own.
 */
export type AddressBudget = 'requests' | 'sessions'

/** The full key a client address is counted under for `budget`. */
export function addressRateKey (prefix: string, address: string, budget: AddressBudget): string {
  return `${rateLimitNameSpace(prefix)}${budget === 'requests' ? 'addr' : 'ip'}:${addressBucket(address)}`
}

/**
 * The key that counts the bytes of the export tickets a client address asked for in one window
 * (its number). The address is the key's hash tag, so one script reads two windows' counts on a
 * Redis Cluster too.
 */
export function ticketBytesKey (prefix: string, address: string, window: number): string {
  return `${prefix}export-ticket-bytes:{${addressBucket(address)}}:${window}`
}

/** The rate limit's key for a session, below its name space. */
export function rateLimitKey (sessionId: string): string {
  return `session:{${sessionId}}`
}

/**
 * Body bytes that count as one more request against the client address's budget: reading a
 * statement costs the gateway in proportion to its length (tens of milliseconds of the event loop
 * for 100,000 characters), so a client's long statements count for what they cost.
 */
export const BODY_BYTES_PER_COUNT = 8192

/** What a request with a body of `bodyBytes` counts against its client address's budget. */
export function addressWeight (bodyBytes: number): number {
  return 1 + Math.floor(bodyBytes / BODY_BYTES_PER_COUNT)
}

/**
 * One request's share of the rate limit, handed to the session operation that does the request's
 * work, which counts it in the same script; `counted` is filled in then (also when over the limit).
 */
export interface RateTicket {
  counted: { current: number, ttlMs: number } | null
  /**
   * The client address whose request budget (RATE_LIMIT_ADDRESS_MAX) the same script counts this
   * request against, until it has: the script sets it to null. Null from the start when the
   * address is counted on its own (../edge/address-limit.ts).
   */
  address: string | null
  /** What the request counts against the address's budget (`addressWeight` of its body). */
  weight: number
}

/**
 * `keys` and, when the ticket carries a client address, that address's request count after them;
 * the ticket then no longer carries it (its request is counted against the address once).
 */
export function withTicketAddress (prefix: string, keys: string[], ticket: RateTicket | null): string[] {
  if (ticket?.address != null) {
    keys.push(addressRateKey(prefix, ticket.address, 'requests'))
    ticket.address = null
  }
  return keys
}
