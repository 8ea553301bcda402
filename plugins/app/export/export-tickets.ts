import { randomBytes } from 'node:crypto'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type { ExportBody } from '../../../schemas/export.js'
import { exportTicketKey } from '../session/session-keys.js'
import { exportTicketNotFound } from './export-errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    exportTickets: ExportTickets
  }
}

/** How long a ticket may wait for its download. */
export const TICKET_TTL_SECONDS = 60

/**
 * Single-use export tickets, so a browser can download an export as a file by following a link
 * (a page cannot hand a fetch's stream to the browser's downloads without holding it all first).
 * A ticket is an unguessable name for one export request of one session, kept in Redis under
 * that session's keys for TICKET_TTL_SECONDS and taken (GETDEL) by the download that uses it,
 * which must come with the same session: a link that leaks is worth nothing to another browser,
 * or a minute later, and another browser's try does not use it up.
 */
export class ExportTickets {
  constructor (private readonly redis: Redis, private readonly prefix: string) {}

  async issue (sessionId: string, body: ExportBody): Promise<string> {
    const ticket = randomBytes(32).toString('base64url')
    await this.redis.set(exportTicketKey(this.prefix, sessionId, ticket), JSON.stringify(body), 'EX', TICKET_TTL_SECONDS)
    return ticket
  }

  /** The export request of `ticket`, once, for its own session only. */
  async take (sessionId: string, ticket: string): Promise<ExportBody> {
    const stored = await this.redis.getdel(exportTicketKey(this.prefix, sessionId, ticket))
    if (stored === null) throw exportTicketNotFound()
    return JSON.parse(stored) as ExportBody
  }
}

export default fp(async function exportTicketsPlugin (fastify) {
  fastify.decorate('exportTickets', new ExportTickets(fastify.redis as unknown as Redis, fastify.config.REDIS_KEY_PREFIX))
}, { name: 'export-tickets', dependencies: ['config'] })
