import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { SessionHeadersSchema, withErrors } from '../../../schemas/common.js'
import {
  ClearContextBodySchema,
  ClearContextReplySchema,
  ContextParamsSchema,
  ContextReplySchema,
  DatabaseListSchema,
  SchemaQuerySchema,
  SchemaReplySchema,
  SelectDatabaseBodySchema,
  SelectDatabaseReplySchema
} from '../../../schemas/database.js'
import { schemaReplyPieces } from '../../../plugins/app/database/schema-json.js'
import { writeJson } from '../../../plugins/app/query/answer-lane.js'
import { addressBucket } from '../../../plugins/app/session/rate-keys.js'

const TAGS = ['database']

/** Databases, and the session's database context. */
const databaseRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { sessionActions } = fastify

  fastify.get('/list', {
    schema: {
      tags: TAGS,
      operationId: 'listDatabases',
      summary: 'Databases this gateway serves (system schemas never; DATABASE_ALLOWLIST applies)',
      response: withErrors({ 200: DatabaseListSchema }, 504)
    }
  }, async (request) => sessionActions.listDatabases({ address: request.clientAddress }))

  fastify.post('/select', {
    schema: {
      tags: TAGS,
      operationId: 'selectDatabase',
      summary: "Select the session's database; answers with the session id and the database's tables",
      headers: SessionHeadersSchema,
      body: SelectDatabaseBodySchema,
      response: withErrors({ 200: SelectDatabaseReplySchema }, 404, 413, 415, 504)
    }
  }, async (request) => sessionActions.selectDatabase(request.sessionId, request.body.database_name, { address: request.clientAddress }))

  const contextReply = {
    tags: TAGS,
    response: withErrors({ 200: ContextReplySchema })
  }
  // Hot routes: the rate limit counts the request in the session's own script (one round trip).
  const countedInSession = { rateLimit: false, rateLimitInSession: true } as const

  fastify.get('/context', {
    config: countedInSession,
    schema: { ...contextReply, operationId: 'getContext', summary: "The session's database context (session from X-Session-Id or the sid cookie)", headers: SessionHeadersSchema }
  }, async (request) => sessionActions.context(request.sessionId, request.rateTicket))

  // A session read by its id counts against the reader's address (the session plugin), not the
  // session: it spends none of its budget and creates no key for an id that does not exist.
  fastify.get('/context/:session_id', {
    config: { rateLimit: false },
    schema: { ...contextReply, response: withErrors({ 200: ContextReplySchema }, 404), operationId: 'getContextOfSession', summary: "A named session's database context (seed-compatible form)", params: ContextParamsSchema }
  }, async (request) => sessionActions.context(request.sessionId))

  fastify.delete('/context', {
    schema: {
      tags: TAGS,
      operationId: 'clearContext',
      summary: "Clear the session's database context; its next query answers 409",
      headers: SessionHeadersSchema,
      body: ClearContextBodySchema,
      response: withErrors({ 200: ClearContextReplySchema }, 413, 415)
    }
  }, async (request) => sessionActions.clearContext(request.sessionId))

  fastify.get('/schema', {
    schema: {
      tags: TAGS,
      operationId: 'describeSchema',
      summary: "Tables of the session's database (or only ?table=name), each with its columns in table order",
      headers: SessionHeadersSchema,
      querystring: SchemaQuerySchema,
      response: withErrors({ 200: SchemaReplySchema }, 404, 409, 504)
    }
  }, async (request, reply) => {
    const described = await sessionActions.describe(request.sessionId, request.query.table, { address: request.clientAddress })
    // Megabytes for a large database: written for its known shape in the answer lane, in its
    // client's turns, not at once by the schema's serializer (plugins/app/database/schema-json.ts).
    const json = writeJson(schemaReplyPieces(described), request.raw.socket, addressBucket(request.clientAddress))
    return reply.type('application/json; charset=utf-8').sendAnswer(typeof json === 'string' ? json : await json)
  })
}

export default databaseRoutes
