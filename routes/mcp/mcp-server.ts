import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv'
import {
  CallToolRequestSchema, isInitializeRequest, isJSONRPCRequest, JSONRPCMessageSchema, ListToolsRequestSchema, SUPPORTED_PROTOCOL_VERSIONS,
  type CallToolRequest, type CallToolResult
} from '@modelcontextprotocol/sdk/types.js'
import { AppError, invalidSessionId } from '../../plugins/app/errors/errors.js'
import { toEnvelope, UNKNOWN_FIELDS_NAMED } from '../../plugins/app/errors/error-handler.js'
import type { ClientConnection } from '../../plugins/app/query/query-runner.js'
import { addressBucket } from '../../plugins/app/session/rate-keys.js'
import type { LongText } from '../../plugins/app/query/long-values.js'
import type { ToolDefinition } from './tools.js'
import { GatewayTransport } from './gateway-transport.js'
import { withInvalidParams } from './invalid-params.js'
import { toolAnswerJson } from './tool-answer.js'

/**
 * The part of the MCP endpoint that needs the MCP SDK. routes/mcp/index.ts imports this module on
 * the first /mcp request, not at start-up: the SDK and the two versions of zod it loads are about a
 * quarter of the service's live heap, held by every instance whether or not an agent ever calls
 * it, and about 100 ms of its start-up.
 */
export { isInitializeRequest }

/** What a tool call needs of the HTTP request it came in. */
export interface CallContext {
  /** The MCP session's sqlgate session (a tool's `session_id` may name another). */
  sessionId: string
  log: FastifyBaseLogger
  /** The request's connection: a run_query read whose client goes away is stopped. */
  client?: ClientConnection
  /** The client's address: its sessions share a cap on the pool, and its large answers a turn in the lane. */
  address?: string
  /** A call's result as JSON pieces, set by a tool that has them: the endpoint writes them into the JSON-RPC answer (./tool-answer.ts). */
  answer?: Iterator<string | LongText, void>
}

/** An answer of the MCP endpoint: its status and JSON text or bytes (none for 202). */
export interface McpAnswer { status: number, json?: string | Buffer }

/**
 * The MCP endpoint's server, built once: one SDK `Server`, with one JSON Schema validator and one
 * tool table, behind one transport that carries every HTTP request's message to it
 * (./gateway-transport.ts). Per call, only the call's own work is done. The endpoint keeps no
 * state between requests (everything of a session is in Redis), so it serves MCP's stateless mode.
 */
export function createMcpEndpoint (fastify: FastifyInstance, tools: Map<string, ToolDefinition>) {
  const transport = new GatewayTransport<CallContext>()
  const server = new Server({ name: 'sqlgate', version: '0.1.0' }, { capabilities: { tools: {} }, jsonSchemaValidator: new AjvJsonSchemaValidator() })
  const listed = { tools: [...tools.values()].map((definition) => definition.tool) }
  server.setRequestHandler(ListToolsRequestSchema, async () => listed)
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => callTool(fastify, tools, request.params, transport.context(extra.requestId)))
  // The transport starts at once: connect() has nothing to wait for.
  server.connect(transport).catch((err: unknown) => fastify.log.error({ err }, 'mcp server did not start'))

  return {
    /**
     * One POST's message, checked as MCP's Streamable HTTP transport asks: the client accepts JSON
     * and event streams, the message is JSON-RPC, a protocol version it names is one this server
     * speaks. Notifications and responses are accepted (202) and need nothing of this server.
     */
    async handle (headers: Record<string, string | string[] | undefined>, body: unknown, context: CallContext): Promise<McpAnswer> {
      const accept = String(headers.accept ?? '')
      if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
        return rpcError(406, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream')
      }
      const parsed = JSONRPCMessageSchema.safeParse(body)
      if (!parsed.success) return rpcError(400, -32700, 'Parse error: Invalid JSON-RPC message')
      const version = headers['mcp-protocol-version']
      // The version first: the schema check of an initialize is only needed for a version this server does not speak.
      if (typeof version === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version) && !isInitializeRequest(parsed.data)) {
        return rpcError(400, -32000, `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`)
      }
      if (!isJSONRPCRequest(parsed.data)) return { status: 202 }
      const message = withInvalidParams(parsed.data, await transport.request(parsed.data, context))
      if (context.answer === undefined || !('result' in message)) return { status: 200, json: JSON.stringify(message) }
      return { status: 200, json: await toolAnswerJson(context.answer, message.id, context.client, addressBucket(context.address ?? '')) }
    }
  }
}

/** A tools/call: its arguments checked against the tool's schema, run in its session, the error envelope as a tool error. */
async function callTool (fastify: FastifyInstance, tools: Map<string, ToolDefinition>, params: CallToolRequest['params'], context: CallContext): Promise<CallToolResult> {
  const { sessionId, log, client, address } = context
  const definition = tools.get(params.name)
  if (definition === undefined) return failure(new AppError('unknown_tool', `No tool named ${params.name}.`))
  // Checked before they are copied: the schemas are flat, so what passes is shallow, and
  // arguments nested 100,000 deep are refused here rather than overflowing structuredClone.
  const given = params.arguments ?? {}
  const problems = Value.Errors(definition.schema, given)
  const problem = problems.First()
  if (problem !== undefined) {
    if (problem.path === '/session_id') return failure(invalidSessionId('arguments'))
    const unknown = problem.type === ValueErrorType.ObjectRequiredProperty ? unknownArguments(problems) : []
    return failure(new AppError('validation_error', [problem, ...unknown].map((one) => `arguments${one.path} ${unionProblem(one)}`).join(', ')))
  }
  const args = Value.Default(definition.schema, structuredClone(given)) as Record<string, unknown>
  try {
    const session = await toolSession(fastify, args.session_id, sessionId, log)
    const result = await definition.run(session, args, log, { client, address })
    if (definition.answer === undefined) return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result }
    // Written into the message by the endpoint, not by the SDK: the SDK's message holds no content.
    context.answer = definition.answer(result)
    return { content: [] }
  } catch (err) {
    const envelope = toEnvelope(err as AppError)
    if (envelope.statusCode >= 500) log.error({ err, code: envelope.code }, 'mcp tool failed')
    return failure(envelope)
  }
}

/** A JSON-RPC error answer of the transport itself, as the SDK's Streamable HTTP transport writes it. */
function rpcError (status: number, code: number, message: string): McpAnswer {
  return { status, json: JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }) }
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

/**
 * The arguments a tool does not take, among the problems after a missing one: the name the agent
 * sent in its place (`sql` for `query`) is said too, as many as the HTTP API names.
 */
function unknownArguments (problems: Iterable<ValueError>): ValueError[] {
  const unknown: ValueError[] = []
  let read = 0
  for (const problem of problems) {
    if (problem.type === ValueErrorType.ObjectAdditionalProperties) unknown.push(problem)
    if (unknown.length === UNKNOWN_FIELDS_NAMED || ++read === 100) break
  }
  return unknown
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
