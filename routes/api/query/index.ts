import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AppError } from '../../../lib/errors.js'
import { SessionHeadersSchema, withErrors } from '../../../schemas/common.js'
import { QueryHistoryReplySchema, QueryReplySchema, queryBodySchema, type QueryHistoryEntry } from '../../../schemas/query.js'

/** How long a query's slot stays claimed past its timeout (the KILL QUERY fallback included). */
const CLAIM_MARGIN_MS = 5000

/** SQL in the session's database, and the session's query history. */
const queryRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { sessionStore, queryRunner, config } = fastify
  const QueryBodySchema = queryBodySchema({
    maxRows: config.QUERY_MAX_ROWS,
    maxRowsLimit: config.QUERY_MAX_ROWS_LIMIT,
    timeoutMs: config.QUERY_TIMEOUT_MS,
    timeoutMaxMs: config.QUERY_TIMEOUT_MAX_MS
  })

  fastify.post('/', {
    prefixTrailingSlash: 'no-slash',
    schema: {
      tags: ['query'],
      summary: "Run one SQL statement in the session's database",
      description: config.READ_ONLY
        ? 'Read-only: SELECT, WITH … SELECT, SHOW, DESCRIBE and EXPLAIN run; anything else answers 403 read_only_violation before it reaches the database.'
        : 'Writes are allowed (READ_ONLY=false): one statement per request, in autocommit mode.',
      headers: SessionHeadersSchema,
      body: QueryBodySchema,
      response: withErrors({ 200: QueryReplySchema }, 403, 404, 409, 413, 415, 429, 504)
    }
  }, async (request) => {
    const { sessionId } = request
    const body = request.body
    const queryId = randomUUID()
    const executedAt = new Date().toISOString()
    const timeoutMs = body.timeout_ms ?? config.QUERY_TIMEOUT_MS
    const entry = (outcome: Pick<QueryHistoryEntry, 'status' | 'error_code' | 'row_count' | 'execution_time_ms'>): QueryHistoryEntry =>
      ({ query_id: queryId, query: body.query, executed_at: executedAt, ...outcome })
    // The history is a record, not the answer: the answer does not wait for it, and if Redis fails
    // here the answer still goes out. Redis runs one connection's commands in order, so a later
    // history read on this instance still sees it.
    const end = (claimed: boolean, outcome: QueryHistoryEntry): void => {
      sessionStore.endQuery(sessionId, claimed ? queryId : null, outcome)
        .catch((err: unknown) => { request.log.warn({ err }, 'query history not recorded') })
    }

    let context
    try {
      // The claim outlives the statement's own limits, so a crashed instance cannot hold a slot for long.
      context = await sessionStore.beginQuery(sessionId, queryId, timeoutMs + CLAIM_MARGIN_MS)
    } catch (err) {
      if (err instanceof AppError && err.code === 'too_many_concurrent_queries') {
        end(false, entry({ status: 'error', error_code: err.code, row_count: 0, execution_time_ms: 0 }))
      }
      throw err
    }

    request.log.debug({ query: body.query }, 'query')
    let result
    try {
      result = await queryRunner.run({
        queryId,
        database: context.database_name,
        sql: body.query,
        params: body.params,
        maxRows: body.max_rows ?? config.QUERY_MAX_ROWS,
        timeoutMs,
        rowFormat: body.row_format ?? 'object'
      })
    } catch (err) {
      const code = err instanceof AppError ? err.code : 'internal_error'
      end(true, entry({ status: 'error', error_code: code, row_count: 0, execution_time_ms: 0 }))
      throw err
    }
    end(true, entry({ status: 'ok', error_code: null, row_count: result.row_count, execution_time_ms: result.execution_time_ms }))
    return { success: true as const, session_id: sessionId, database_name: context.database_name, ...result }
  })

  fastify.get('/history', {
    schema: {
      tags: ['query'],
      summary: "The session's recent queries, newest first",
      headers: SessionHeadersSchema,
      response: withErrors({ 200: QueryHistoryReplySchema })
    }
  }, async (request) => {
    const queries = await sessionStore.history(request.sessionId)
    return { success: true as const, session_id: request.sessionId, queries }
  })
}

export default queryRoutes
