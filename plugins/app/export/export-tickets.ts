import { randomBytes } from 'node:crypto'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type { ExportBody } from '../../../schemas/export.js'
import { ScriptClient, type ScriptCall } from '../session/script-client.js'
import { redisScript } from '../session/session-scripts.js'
import { exportTicketKey } from '../session/session-keys.js'
import { ticketBytesKey } from '../session/rate-keys.js'
import { exportTicketNotFound, tooManyExportTickets } from './export-errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    exportTickets: ExportTickets
  }
}

/** How long a ticket may wait for its download. */
export const TICKET_TTL_SECONDS = 60

/**
 * The bytes of export requests the tickets of one client address may hold, issued in the current
 * window of TICKET_TTL_SECONDS and the one before (every ticket still alive was issued in one of
 * them): a client cannot make Redis keep more than this of its request bodies, whatever its rate
 * limits allow (3,000 bodies of 1 MiB a minute with the defaults). A ticket of a usual export
 * request is a few hundred bytes.
 */
export const TICKET_ADDRESS_MAX_BYTES = 16 * 1024 * 1024

const WINDOW_MS = TICKET_TTL_SECONDS * 1000

/**
 * KEYS[1] this window's count of an address's ticket bytes, KEYS[2] the previous window's;
 * ARGV[1] the new ticket's bytes, ARGV[2] the budget, ARGV[3] ms until the previous window's
 * tickets are all gone (its count is needed until then). 1 when the ticket fits and is counted.
 */
const RESERVE = redisScript(`
local used = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(redis.call('GET', KEYS[2]) or '0')
local bytes = tonumber(ARGV[1])
if used + bytes > tonumber(ARGV[2]) then return 0 end
redis.call('INCRBY', KEYS[1], bytes)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

/**
 * Single-use export tickets, so a browser can download an export as a file by following a link
 * (a page cannot hand a fetch's stream to the browser's downloads without holding it all first).
 * A ticket is an unguessable name for one export request of one session, kept in Redis under
 * that session's keys for TICKET_TTL_SECONDS and taken (GETDEL) by the download that uses it,
 * which must come with the same session: a link that leaks is worth nothing to another browser,
 * or a minute later, and another browser's try does not use it up. What the tickets of one client
 * address hold is bounded by TICKET_ADDRESS_MAX_BYTES. A Redis failure is 503
 * session_store_unavailable, as on every session route.
 */
export class ExportTickets {
  private readonly reserve: ScriptCall

  constructor (private readonly client: ScriptClient, private readonly prefix: string) {
    this.reserve = client.define(RESERVE, 2)
  }

  /** A ticket for `body` of `sessionId`; 429 too_many_export_tickets when `address`'s tickets hold their budget. */
  async issue (sessionId: string, address: string, body: ExportBody): Promise<string> {
    const stored = JSON.stringify(body)
    const now = Date.now()
    const window = Math.floor(now / WINDOW_MS)
    const keys = [ticketBytesKey(this.prefix, address, window), ticketBytesKey(this.prefix, address, window - 1)]
    const untilGone = (window + 2) * WINDOW_MS - now
    const fits = await this.client.run(this.reserve, keys, [Buffer.byteLength(stored), TICKET_ADDRESS_MAX_BYTES, untilGone])
    if (fits !== 1) throw tooManyExportTickets(TICKET_ADDRESS_MAX_BYTES, (window + 1) * WINDOW_MS - now)
    const ticket = randomBytes(32).toString('base64url')
    await this.client.command((redis) => redis.set(exportTicketKey(this.prefix, sessionId, ticket), stored, 'EX', TICKET_TTL_SECONDS))
    return ticket
  }

  /** The export request of `ticket`, once, for its own session only. */
  async take (sessionId: string, ticket: string): Promise<ExportBody> {
    const stored = await this.client.command((redis) => redis.getdel(exportTicketKey(this.prefix, sessionId, ticket)))
    if (stored === null) throw exportTicketNotFound()
    return JSON.parse(stored) as ExportBody
  }
}

export default fp(async function exportTicketsPlugin (fastify) {
  const client = new ScriptClient(fastify.redis as unknown as Redis)
  fastify.decorate('exportTickets', new ExportTickets(client, fastify.config.REDIS_KEY_PREFIX))
}, { name: 'export-tickets', dependencies: ['config'] })
