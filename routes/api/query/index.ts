import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { SessionHeadersSchema, withErrors } from '../../../schemas/common.js'
import { QueryBodySchema, QueryReplySchema } from '../../../schemas/query.js'

/** SQL in the session's database. */
const queryRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { contextStore, queryRunner } = fastify

  fastify.post('/', {
    prefixTrailingSlash: 'no-slash',
    schema: {
      tags: ['query'],
      summary: "Run one SQL statement in the session's database",
      headers: SessionHeadersSchema,
      body: QueryBodySchema,
      response: withErrors({ 200: QueryReplySchema }, 404, 409)
    }
  }, async (request) => {
    const context = await contextStore.require(request.sessionId)
    const result = await queryRunner.run({ database: context.database_name, sql: request.body.query })
    return {
      success: true as const,
      session_id: request.sessionId,
      database_name: context.database_name,
      ...result
    }
  })
}

export default queryRoutes
