import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { SessionHeadersSchema, withErrors } from '../../../schemas/common.js'
import { HistoryQuerySchema, QueryHistoryReplySchema, QueryReplySchema, queryBodySchema } from '../../../schemas/query.js'
import { answerJson } from '../../../plugins/app/query/answer-lane.js'
import { addressBucket } from '../../../plugins/app/session/rate-keys.js'
import exportRoutes from './export.js'

const JSON_TYPE = 'application/json; charset=utf-8'

/** SQL in the session's database, and the session's query history. */
const queryRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { sessionActions, config } = fastify
  const QueryBodySchema = queryBodySchema(config)
  await fastify.register(exportRoutes)

  fastify.post('/', {
    prefixTrailingSlash: 'no-slash',
    // The hot route: the rate limit counts the request in the session's own script (one round trip).
    config: { rateLimit: false, rateLimitInSession: true },
    schema: {
      tags: ['query'],
      operationId: 'runQuery',
      summary: "Run one SQL statement in the session's database",
      description: config.READ_ONLY
        ? 'Read-only: SELECT, WITH … SELECT, SHOW, DESCRIBE and EXPLAIN run; anything else answers 403 read_only_violation before it reaches the database.'
        : 'Writes are allowed (READ_ONLY=false): one statement per request, in autocommit mode.',
      headers: SessionHeadersSchema,
      body: QueryBodySchema,
      response: withErrors({ 200: QueryReplySchema }, 403, 404, 409, 413, 415, 504, ...(config.READ_ONLY ? [] : [502]))
    }
  }, async (request, reply) => {
    // A read whose client goes away (a closed tab, a client-side timeout) is stopped on the
    // database server instead of left to run to its timeout: the runner looks at the connection.
    const answer = await sessionActions.runQuery(request.sessionId, request.body, request.log, request.rateTicket, { client: request.raw.socket, address: request.clientAddress })
    // The answer's JSON is written for its known shape (plugins/app/query/query-json.ts) rather than by the
    // schema's serializer, which checked every row against the rows union; the schema still
    // documents it. Errors keep the error schemas' serializer. A text answer carries no type of
    // its own (Fastify types only what it serializes), so it is named here. A large answer is
    // written a piece at a time between other requests' work, in its client's turns
    // (plugins/app/query/answer-lane.ts).
    const json = answerJson(answer, request.raw.socket, addressBucket(request.clientAddress))
    // A large answer goes out a piece at a time, what its client leaves unread counted
    // (plugins/app/edge/unread-answers.ts).
    return reply.type(JSON_TYPE).sendAnswer(typeof json === 'string' ? json : await json)
  })

  fastify.get('/history', {
    schema: {
      tags: ['query'],
      operationId: 'queryHistory',
      summary: "The session's recent queries, newest first",
      headers: SessionHeadersSchema,
      querystring: HistoryQuerySchema,
      response: withErrors({ 200: QueryHistoryReplySchema })
    }
  }, async (request) => sessionActions.history(request.sessionId, request.query.limit === undefined ? undefined : Number(request.query.limit)))
}

export default queryRoutes
