import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AppError } from '../../../lib/errors.js'
import { SessionHeadersSchema, withErrors } from '../../../schemas/common.js'
import { QueryHistoryReplySchema, QueryReplySchema, queryBodySchema, type QueryHistoryEntry } from '../../../schemas/query.js'

/** SQL in the session's database, and the session's query history. */
const queryRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { contextStore, historyStore, queryRunner, config } = fastify
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
      response: withErrors({ 200: QueryReplySchema }, 403, 404, 409, 413, 415, 504)
    }
  }, async (request) => {
    const { sessionId } = request
    const context = await contextStore.require(sessionId)
    const body = request.body
    const executedAt = new Date().toISOString()
    const queryId = randomUUID()
    const record = (entry: Pick<QueryHistoryEntry, 'query_id' | 'status' | 'error_code' | 'row_count' | 'execution_time_ms'>): Promise<void> =>
      historyStore.append(sessionId, { ...entry, query: body.query, executed_at: executedAt })
        .catch((err: unknown) => { request.log.warn({ err }, 'query history not recorded') })

    request.log.debug({ query: body.query }, 'query')
    let result
    try {
      result = await queryRunner.run({
        queryId,
        database: context.database_name,
        sql: body.query,
        params: body.params,
        maxRows: body.max_rows ?? config.QUERY_MAX_ROWS,
        timeoutMs: body.timeout_ms ?? config.QUERY_TIMEOUT_MS,
        rowFormat: body.row_format ?? 'object'
      })
    } catch (err) {
      await record({
        query_id: queryId,
        status: 'error',
        error_code: err instanceof AppError ? err.code : 'internal_error',
        row_count: 0,
        execution_time_ms: 0
      })
      throw err
    }
    await record({ ...result, status: 'ok', error_code: null })
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
    const queries = await historyStore.list(request.sessionId)
    return { success: true as const, session_id: request.sessionId, queries }
  })
}

export default queryRoutes
