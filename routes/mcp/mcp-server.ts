import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { AppError, invalidSessionId } from '../../plugins/app/errors/errors.js'
import { toEnvelope } from '../../plugins/app/errors/error-handler.js'
import type { ClientConnection } from '../../plugins/app/query/query-runner.js'
import type { ToolDefinition } from './tools.js'

/**
 * The part of the MCP endpoint that needs the MCP SDK. routes/mcp/index.ts imports this module on
 * the first /mcp request, not at start-up: the SDK and the two versions of zod it loads are about a
 * quarter of the service's live heap (7 of 30 MB), held by every instance whether or not an agent
 * ever calls it, and about 100 ms of its start-up.
 */
export { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
export { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js'

/** An MCP server for one request of the MCP session `mcpSessionId` (stateless: all state is in Redis). */
export function createMcpServer (fastify: FastifyInstance, tools: Map<string, ToolDefinition>, mcpSessionId: string, log: FastifyBaseLogger, client?: ClientConnection): Server {
  const server = new Server({ name: 'sqlgate', version: '0.1.0' }, { capabilities: { tools: {} } })
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [...tools.values()].map((definition) => definition.tool) }))
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const definition = tools.get(request.params.name)
    if (definition === undefined) return failure(new AppError('unknown_tool', `No tool named ${request.params.name}.`))
    // Checked before they are copied: the schemas are flat, so what passes is shallow, and
    // arguments nested 100,000 deep are refused here rather than overflowing structuredClone.
    const given = request.params.arguments ?? {}
    const problem = Value.Errors(definition.schema, given).First()
    if (problem !== undefined) {
      if (problem.path === '/session_id') return failure(invalidSessionId('arguments'))
      return failure(new AppError('validation_error', `arguments${problem.path} ${unionProblem(problem)}`))
    }
    const args = Value.Default(definition.schema, structuredClone(given)) as Record<string, unknown>
    try {
      const sessionId = await toolSession(fastify, args.session_id, mcpSessionId, log)
      const result = await definition.run(sessionId, args, log, client)
      return { content: [{ type: 'text', text: definition.text?.(result) ?? JSON.stringify(result) }], structuredContent: result }
    } catch (err) {
      const envelope = toEnvelope(err as AppError)
      if (envelope.statusCode >= 500) log.error({ err, code: envelope.code }, 'mcp tool failed')
      return failure(envelope)
    }
  })
  return server
}

/** The session a tool call works on: the one it names (plugins/app/session/session-policy.ts), else the MCP session's. */
async function toolSession (fastify: FastifyInstance, named: unknown, mcpSessionId: string, log: FastifyBaseLogger): Promise<string> {
  if (named === undefined || named === null) return mcpSessionId
  const { sessionPolicy } = fastify
  const id = sessionPolicy.supplied(named, 'arguments')
  return sessionPolicy.asksRedis('tool') ? (await sessionPolicy.settle(id, 'tool', '', log))[0] : id
}

function failure (error: AppError | Record<string, unknown>): CallToolResult {
  const envelope = error instanceof AppError ? error.toJSON() : error
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(envelope) }] }
}

/** The errors of a union's branch that the value's type did not choose. */
const KIND_ERRORS = new Set([ValueErrorType.String, ValueErrorType.Number, ValueErrorType.Integer, ValueErrorType.Boolean,
  ValueErrorType.Null, ValueErrorType.Literal, ValueErrorType.Object, ValueErrorType.Array])

/**
 * TypeBox says "Expected union value" of a value no branch of a union takes. The branch its type
 * chose says what is wrong with it (a bound, a length); else the union's branches say what it takes.
 */
function unionProblem (problem: ValueError): string {
  if (problem.type !== ValueErrorType.Union) return problem.message
  const branches = problem.errors.map((branch) => branch.First()).filter((branch) => branch !== undefined)
  const chosen = branches.find((branch) => branch.path === problem.path && !KIND_ERRORS.has(branch.type))
  if (chosen !== undefined) return chosen.message
  if (branches.length === 0) return problem.message
  return `Expected ${branches.map((branch) => branch.message.replace(/^Expected /, '')).join(' or ')}`
}
