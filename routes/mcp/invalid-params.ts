import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, type JSONRPCMessage, type JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js'

/** The methods this server has handlers for, with the schema the SDK reads each one's params by. */
const SCHEMAS: Record<string, typeof CallToolRequestSchema | typeof ListToolsRequestSchema> = {
  'tools/call': CallToolRequestSchema,
  'tools/list': ListToolsRequestSchema
}

/**
 * The answer to `request`, with its params' refusal told as JSON-RPC asks. The SDK reads a
 * request's params by its method's schema before any handler runs, and answers params the schema
 * refuses with -32603, Internal error, and the schema's issues as JSON text
 * (modelcontextprotocol/typescript-sdk#2284): the client is told that the server broke. This
 * server's handlers throw nothing (a tool's failure is a tool result), so an internal error of
 * these methods whose params the schema refuses is that reading: it is answered -32602, Invalid
 * params, with each problem at its place. Any other answer is passed on as it is.
 */
export function withInvalidParams (request: JSONRPCRequest, answer: JSONRPCMessage): JSONRPCMessage {
  if (!('error' in answer) || answer.error.code !== ErrorCode.InternalError) return answer
  const schema = SCHEMAS[request.method]
  const read = schema?.safeParse(request)
  if (read === undefined || read.success) return answer
  const problems = read.error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`)
  return { jsonrpc: '2.0', id: answer.id, error: { code: ErrorCode.InvalidParams, message: `Invalid params for ${request.method}: ${problems.join('; ')}` } }
}
