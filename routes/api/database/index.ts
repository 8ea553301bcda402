import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { databaseNotFound } from '../../../lib/errors.js'
import { SessionHeadersSchema, withErrors } from '../../../schemas/common.js'
import {
  ClearContextReplySchema,
  ContextParamsSchema,
  ContextReplySchema,
  DatabaseListSchema,
  SchemaReplySchema,
  SelectDatabaseBodySchema,
  SelectDatabaseReplySchema
} from '../../../schemas/database.js'

const TAGS = ['database']

/** Databases, and the session's database context. */
const databaseRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { catalog, sessionStore } = fastify

  fastify.get('/list', {
    schema: {
      tags: TAGS,
      summary: 'Databases this gateway serves (system schemas never; DATABASE_ALLOWLIST applies)',
      response: withErrors({ 200: DatabaseListSchema })
    }
  }, async () => {
    const names = await catalog.listDatabases()
    return { success: true as const, databases: names.map((name) => ({ name })), total_count: names.length }
  })

  fastify.post('/select', {
    schema: {
      tags: TAGS,
      summary: "Select the session's database; answers with the session id and the database's tables",
      headers: SessionHeadersSchema,
      body: SelectDatabaseBodySchema,
      response: withErrors({ 200: SelectDatabaseReplySchema }, 404, 413, 415)
    }
  }, async (request) => {
    const { database_name: name } = request.body
    if (!catalog.isAllowed(name)) throw databaseNotFound(name)
    const [exists, tables] = await Promise.all([catalog.databaseExists(name), catalog.listTables(name)])
    if (!exists) throw databaseNotFound(name)

    const context = { database_name: name, selected_at: new Date().toISOString() }
    await sessionStore.setContext(request.sessionId, context)
    request.log.debug({ session: request.sessionHash, database: name }, 'database selected')
    return {
      success: true as const,
      session_id: request.sessionId,
      database_name: name,
      tables,
      total_tables: tables.length,
      selected_at: context.selected_at
    }
  })

  const contextReply = {
    tags: TAGS,
    response: withErrors({ 200: ContextReplySchema })
  }

  fastify.get('/context', {
    schema: { ...contextReply, summary: "The session's database context (session from X-Session-Id or the sid cookie)", headers: SessionHeadersSchema }
  }, async (request) => {
    const context = await sessionStore.getContext(request.sessionId)
    return { success: true as const, session_id: request.sessionId, context_available: context !== null, database_context: context }
  })

  fastify.get('/context/:session_id', {
    schema: { ...contextReply, summary: "A named session's database context (seed-compatible form)", params: ContextParamsSchema }
  }, async (request) => {
    const context = await sessionStore.getContext(request.sessionId)
    return { success: true as const, session_id: request.sessionId, context_available: context !== null, database_context: context }
  })

  fastify.delete('/context', {
    schema: {
      tags: TAGS,
      summary: "Clear the session's database context; its next query answers 409",
      headers: SessionHeadersSchema,
      response: withErrors({ 200: ClearContextReplySchema })
    }
  }, async (request) => {
    const cleared = await sessionStore.clearContext(request.sessionId)
    return { success: true as const, session_id: request.sessionId, cleared }
  })

  fastify.get('/schema', {
    schema: {
      tags: TAGS,
      summary: "Tables of the session's database, each with its columns in table order",
      headers: SessionHeadersSchema,
      response: withErrors({ 200: SchemaReplySchema }, 404, 409)
    }
  }, async (request) => {
    const context = await sessionStore.requireContext(request.sessionId)
    const tables = await fastify.catalog.describe(context.database_name)
    return { success: true as const, session_id: request.sessionId, database_name: context.database_name, tables }
  })
}

export default databaseRoutes
