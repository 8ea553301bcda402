import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { SessionHeadersSchema, withErrors } from '../../../schemas/common.js'
import { ExportFileResponse, ExportTicketReplySchema, exportBodySchema, type ExportBody } from '../../../schemas/export.js'
import { TICKET_ADDRESS_MAX_BYTES, TICKET_TTL_SECONDS } from '../../../plugins/app/export/export-tickets.js'
import { attachmentHeader, CONTENT_TYPES, ROW_COUNT_TRAILER, TRUNCATED_TRAILER } from '../../../plugins/app/export/export-headers.js'

/** Errors an export can answer before its first byte: those of a query, a busy instance, a ticket. */
const EXPORT_ERRORS = [403, 404, 409, 413, 415, 503, 504] as const

/**
 * A statement's rows as a file: `POST /export` streams it to an API client; a browser asks for a
 * ticket (`POST /export/ticket`) and follows its link (`GET /export/:ticket`), so the download
 * streams to disk instead of through the page's memory.
 */
const exportRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { sessionActions, exportTickets, config } = fastify
  const ExportBodySchema = exportBodySchema(config)

  /** Streams the export of `body` for the request's session. */
  async function stream (request: FastifyRequest, reply: FastifyReply, body: ExportBody) {
    const caller = { client: request.raw.socket, address: request.clientAddress }
    const { run, databaseName } = await sessionActions.exportRows(request.sessionId, body, request.log, request.rateTicket, caller)
    return reply
      .type(CONTENT_TYPES[body.format])
      .header('content-disposition', attachmentHeader(body.filename, databaseName, body.format, new Date()))
      .header('cache-control', 'no-store')
      .trailer(ROW_COUNT_TRAILER, async () => String((await run.done).rowCount))
      .trailer(TRUNCATED_TRAILER, async () => String((await run.done).truncated))
      .send(run)
  }

  fastify.post('/export', {
    config: { rateLimit: false, rateLimitInSession: true },
    schema: {
      tags: ['query'],
      operationId: 'exportQuery',
      summary: "Stream one statement's rows as CSV, NDJSON or JSON",
      description: `The statement must be a read. Up to EXPORT_MAX_ROWS (${config.EXPORT_MAX_ROWS}) rows, streamed with back-pressure; EXPORT_CONCURRENCY (${config.EXPORT_CONCURRENCY}) exports per instance at once, half of them per client address, one per session.`,
      headers: SessionHeadersSchema,
      body: ExportBodySchema,
      response: withErrors({ 200: ExportFileResponse as never }, ...EXPORT_ERRORS)
    }
  }, async (request, reply) => stream(request, reply, request.body))

  fastify.post('/export/ticket', {
    schema: {
      tags: ['query'],
      operationId: 'exportTicket',
      summary: 'A single-use link that downloads an export (for browsers)',
      description: `The body is that of POST /api/query/export. The ticket is valid for ${TICKET_TTL_SECONDS} s, once, with the same session. The tickets of one client address hold at most ${TICKET_ADDRESS_MAX_BYTES / 1024 / 1024} MiB of requests a minute (429 too_many_export_tickets).`,
      headers: SessionHeadersSchema,
      body: ExportBodySchema,
      response: withErrors({ 200: ExportTicketReplySchema }, 403, 404, 409, 413, 415)
    }
  }, async (request) => {
    // What would refuse the export is answered now, while the page that asks can still show it.
    await sessionActions.checkExport(request.sessionId, request.body)
    const ticket = await exportTickets.issue(request.sessionId, request.clientAddress, request.body)
    return { success: true as const, ticket, url: `${request.routeOptions.url?.replace(/\/ticket$/, '') ?? '/api/query/export'}/${ticket}`, expires_in_seconds: TICKET_TTL_SECONDS }
  })

  // A ticket serves one download, so its link has no HEAD: one (a download manager's, a link
  // preview's) would use the ticket up and run the export for nothing. HEAD answers 405.
  fastify.get('/export/:ticket', {
    exposeHeadRoute: false,
    config: { rateLimit: false, rateLimitInSession: true, keyInUrl: true },
    schema: {
      tags: ['query'],
      operationId: 'exportByTicket',
      summary: 'Download the export a ticket names',
      params: Type.Object({ ticket: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }) }),
      response: withErrors({ 200: ExportFileResponse as never }, ...EXPORT_ERRORS)
    }
  }, async (request, reply) => stream(request, reply, await exportTickets.take(request.sessionId, request.params.ticket)))
}

export default exportRoutes
