import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { Type, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js'
import { AppError, invalidSessionId } from '../../lib/errors.js'
import { isValidSessionId } from '../../lib/session-id.js'
import { toEnvelope } from '../../plugins/app/error-handler.js'
import { OptionalBodySessionId } from '../../schemas/common.js'
import { SelectDatabaseBodySchema } from '../../schemas/database.js'
import { queryBodySchema, type QueryBody } from '../../schemas/query.js'

interface ToolDefinition {
  tool: Tool
  schema: TSchema
  run: (sessionId: string, args: Record<string, unknown>, log: FastifyBaseLogger) => Promise<Record<string, unknown>>
}

/**
 * sqlgate's MCP tools. Their input schemas are the HTTP API's TypeBox schemas, and each calls the
 * same session action as the matching route, so read-only, limits, history and errors are the
 * same whichever way an agent comes in. `session_id` in the arguments works on that existing
 * session (an agent can join a browser user's); without it, the MCP session's own.
 */
export function defineTools (fastify: FastifyInstance): Map<string, ToolDefinition> {
  const { sessionActions: actions, config } = fastify
  const querySchema = queryBodySchema(config)
  const readOnlyQueries = config.READ_ONLY
  const definitions: ToolDefinition[] = [
    {
      tool: { name: 'list_databases', title: 'List databases', description: 'The databases this gateway serves (system schemas never).', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true, openWorldHint: false } },
      schema: Type.Object({}, { additionalProperties: false }),
      run: async () => actions.listDatabases()
    },
    {
      tool: { name: 'select_database', title: 'Select a database', description: "Select the session's database; every later query of the session runs in it. Answers with the database's tables.", inputSchema: { type: 'object' }, annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false } },
      schema: SelectDatabaseBodySchema,
      run: async (sessionId, args) => actions.selectDatabase(sessionId, String(args.database_name))
    },
    {
      tool: { name: 'describe_schema', title: 'Describe the schema', description: "Tables of the session's database with their columns in table order; only `table` when given.", inputSchema: { type: 'object' }, annotations: { readOnlyHint: true, openWorldHint: false } },
      schema: Type.Object({ table: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), session_id: OptionalBodySessionId }, { additionalProperties: false }),
      run: async (sessionId, args) => actions.describe(sessionId, args.table as string | undefined)
    },
    {
      tool: {
        name: 'run_query',
        title: 'Run SQL',
        description: readOnlyQueries
          ? "Run one read-only SQL statement (SELECT, WITH … SELECT, SHOW, DESCRIBE, EXPLAIN) in the session's database; `params` bind to ? placeholders. Anything else is refused before it reaches the database."
          : "Run one SQL statement in the session's database (writes allowed, autocommit); `params` bind to ? placeholders.",
        inputSchema: { type: 'object' },
        annotations: { readOnlyHint: readOnlyQueries, destructiveHint: !readOnlyQueries, openWorldHint: false }
      },
      schema: querySchema,
      run: async (sessionId, args, log) => actions.runQuery(sessionId, args as unknown as QueryBody, log)
    },
    {
      tool: { name: 'query_history', title: 'Query history', description: "The session's recent queries, newest first.", inputSchema: { type: 'object' }, annotations: { readOnlyHint: true, openWorldHint: false } },
      schema: Type.Object({ session_id: OptionalBodySessionId }, { additionalProperties: false }),
      run: async (sessionId) => actions.history(sessionId)
    }
  ]
  for (const definition of definitions) {
    // The advertised input schema is the validating one, as plain JSON Schema.
    definition.tool.inputSchema = JSON.parse(JSON.stringify(definition.schema)) as Tool['inputSchema']
  }
  return new Map(definitions.map((definition) => [definition.tool.name, definition]))
}

/** An MCP server for one request of the MCP session `mcpSessionId` (stateless: all state is in Redis). */
export function createMcpServer (fastify: FastifyInstance, tools: Map<string, ToolDefinition>, mcpSessionId: string, log: FastifyBaseLogger): Server {
  const server = new Server({ name: 'sqlgate', version: '0.1.0' }, { capabilities: { tools: {} } })
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [...tools.values()].map((definition) => definition.tool) }))
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const definition = tools.get(request.params.name)
    if (definition === undefined) return failure(new AppError(404, 'unknown_tool', `No tool named ${request.params.name}.`))
    const args = Value.Default(definition.schema, structuredClone(request.params.arguments ?? {})) as Record<string, unknown>
    const problem = Value.Errors(definition.schema, args).First()
    if (problem !== undefined) {
      if (problem.path === '/session_id') return failure(invalidSessionId('arguments'))
      return failure(new AppError(400, 'validation_error', `arguments${problem.path} ${problem.message}`))
    }
    try {
      const sessionId = await toolSession(fastify, args.session_id, mcpSessionId)
      const result = await definition.run(sessionId, args, log)
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result }
    } catch (err) {
      const envelope = toEnvelope(err as AppError)
      if (envelope.statusCode >= 500) log.error({ err, code: envelope.code }, 'mcp tool failed')
      return failure(envelope)
    }
  })
  return server
}

/** The session a tool call works on: the one it names (which must exist in strict mode), else the MCP session's. */
async function toolSession (fastify: FastifyInstance, named: unknown, mcpSessionId: string): Promise<string> {
  if (named === undefined || named === null) return mcpSessionId
  if (!isValidSessionId(named)) throw invalidSessionId('arguments')
  if (fastify.config.SESSION_STRICT && !(await fastify.sessionStore.isKnown(named))) {
    throw new AppError(404, 'session_not_found', 'No session with that id was issued by this service (SESSION_STRICT).')
  }
  return named
}

function failure (error: AppError | Record<string, unknown>): CallToolResult {
  const envelope = error instanceof AppError ? error.toJSON() : error
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(envelope) }] }
}
