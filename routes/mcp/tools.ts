import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { Type, type TSchema } from '@sinclair/typebox'
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import { OptionalBodySessionId } from '../../schemas/common.js'
import { SelectDatabaseBodySchema } from '../../schemas/database.js'
import { HISTORY_LIMIT_MAX, queryBodySchema, type QueryBody } from '../../schemas/query.js'
import type { Caller } from '../../plugins/app/query/query-runner.js'
import { queryReplyPieces } from '../../plugins/app/query/query-json.js'
import type { LongText } from '../../plugins/app/query/long-values.js'
import { schemaReplyPieces, type SchemaReply } from '../../plugins/app/database/schema-json.js'
import type { QueryReply } from '../../schemas/query.js'

export interface ToolDefinition {
  tool: Tool
  schema: TSchema
  run: (sessionId: string, args: Record<string, unknown>, log: FastifyBaseLogger, caller: Caller) => Promise<Record<string, unknown>>
  /** Its result's JSON in pieces, for a result of megabytes: the endpoint writes it in the answer lane (./tool-answer.ts). */
  answer?: (result: Record<string, unknown>) => Iterator<string | LongText, void>
}

/**
 * An MCP answer carries its rows twice: as the answer's JSON text, which the JSON-RPC answer
 * escapes once more (a quote or a backslash two more bytes each: at most twice its size), and as
 * `structuredContent`. So `run_query`'s rows get a third of QUERY_MAX_RESULT_BYTES, and the whole
 * answer stays within it on the wire (but for the JSON-RPC envelope's few hundred bytes).
 */
const MCP_ANSWER_SHARE = 1 / 3

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
      run: async (_sessionId, _args, _log, caller) => actions.listDatabases(caller)
    },
    {
      tool: { name: 'select_database', title: 'Select a database', description: `Select the session's database; every later query of the session runs in it. Answers with the database's tables (the first ${config.CATALOG_MAX_TABLES} by name) and how many it has.`, inputSchema: { type: 'object' }, annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false } },
      schema: SelectDatabaseBodySchema,
      run: async (sessionId, args, _log, caller) => actions.selectDatabase(sessionId, String(args.database_name), caller)
    },
    {
      tool: { name: 'describe_schema', title: 'Describe the schema', description: `Tables of the session's database (the first ${config.CATALOG_MAX_TABLES} by name, and total_tables) with their comments, their columns in table order (type, key, default, comment) and their foreign keys (columns, and the database, table and columns they reference); only \`table\` when given (a table that does not exist is an error, table_not_found, naming those it may have meant: another case, or a few edits away).`, inputSchema: { type: 'object' }, annotations: { readOnlyHint: true, openWorldHint: false } },
      schema: Type.Object({ table: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), session_id: OptionalBodySessionId }, { additionalProperties: false }),
      run: async (sessionId, args, _log, caller) => actions.describe(sessionId, args.table as string | undefined, caller),
      answer: (result) => schemaReplyPieces(result as unknown as SchemaReply)
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
      run: async (sessionId, args, log, caller) => actions.runQuery(sessionId, args as unknown as QueryBody, log, null, caller, MCP_ANSWER_SHARE),
      answer: (result) => queryReplyPieces(result as unknown as QueryReply)
    },
    {
      tool: { name: 'query_history', title: 'Query history', description: "The session's recent queries, newest first; only the newest `limit` when given.", inputSchema: { type: 'object' }, annotations: { readOnlyHint: true, openWorldHint: false } },
      schema: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: HISTORY_LIMIT_MAX })), session_id: OptionalBodySessionId }, { additionalProperties: false }),
      run: async (sessionId, args) => actions.history(sessionId, args.limit as number | undefined)
    }
  ]
  for (const definition of definitions) {
    // The advertised input schema is the validating one, as plain JSON Schema.
    definition.tool.inputSchema = JSON.parse(JSON.stringify(definition.schema)) as Tool['inputSchema']
  }
  return new Map(definitions.map((definition) => [definition.tool.name, definition]))
}
