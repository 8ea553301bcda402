import type { FastifyPluginAsync } from 'fastify'
import { AppError } from '../../plugins/app/errors/errors.js'
import { hashSessionId } from '../../plugins/app/session/session-id.js'
import { SESSION_HEADER } from '../../plugins/app/session/session.js'
import apiKeys from '../../plugins/app/edge/api-keys.js'
import { defineTools } from './tools.js'

const MCP_SESSION_HEADER = 'mcp-session-id'

type Sdk = typeof import('./mcp-server.js')

/**
 * The MCP SDK's side of the endpoint, loaded by the first /mcp request (mcp-server.ts says why)
 * and kept. A failed load is not kept: the next request tries again.
 */
let sdk: Promise<Sdk> | undefined
function loadSdk (): Promise<Sdk> {
  sdk ??= import('./mcp-server.js').catch((err: unknown) => {
    sdk = undefined
    throw err
  })
  return sdk
}

/**
 * A Streamable HTTP MCP endpoint (@modelcontextprotocol/sdk) at /mcp. Each MCP session is a sqlgate
 * session: `initialize` issues one (as in the HTTP API) and returns it as Mcp-Session-Id; the
 * client sends it back on every request. The endpoint is stateless and everything of a session
 * lives in Redis, so any instance serves the next request of an MCP session, across restarts.
 * Answers are JSON (no server-initiated streams: GET and DELETE are 405).
 */
const mcpRoutes: FastifyPluginAsync = async (fastify) => {
  await fastify.register(apiKeys)
  const tools = defineTools(fastify)
  const { sessionPolicy } = fastify
  /** The endpoint's server, built by the first request that needs it, once. */
  let endpoint: ReturnType<Sdk['createMcpEndpoint']> | undefined

  // Before the request is counted (in the handler): it counts per MCP session.
  fastify.addHook('preValidation', async (request) => {
    // GET and DELETE answer 405 whatever they carry (noStreams below).
    if (request.method !== 'POST') return
    if (Array.isArray(request.body)) {
      // One message per request keeps each tool call one unit of the rate limit: a batch of 100
      // calls would otherwise cost one, and start 100 database reads at once.
      throw new AppError('mcp_batch_not_supported',
        'Send one JSON-RPC message per request: this endpoint does not take batches (MCP removed them in protocol 2025-06-18).')
    }
    const header = request.headers[MCP_SESSION_HEADER]
    const initialize = isMessage(request.body, 'initialize')
    // A reader in front (a proxy, an audit log) that knows sqlgate's own header may take it for
    // the request's session: it must name the one the request runs in, or be left out.
    const named = request.headers[SESSION_HEADER]
    if (named !== undefined && (initialize || named !== header)) throw MCP_SESSION_CONFLICT
    if (initialize) {
      // An initialize that MCP's schema refuses is not "a request without its session". Only an
      // initialize is read against its schema: a failing schema check is the dear case.
      const { isInitializeRequest } = await loadSdk()
      if (!isInitializeRequest(request.body)) {
        throw new AppError('validation_error',
          'This initialize request does not match MCP\'s schema: its params need protocolVersion (a string), capabilities (an object) and clientInfo ({ name, version }).')
      }
      // A new sqlgate session, as the session plugin starts one (plugins/app/session/session-policy.ts).
      request.sessionId = await sessionPolicy.start(request.clientAddress)
    } else if (header === undefined) {
      throw new AppError('mcp_session_required', 'Send the Mcp-Session-Id header that initialize returned.')
    } else {
      // Strict sessions: 404 tells an MCP client to initialize a new session.
      const named = sessionPolicy.supplied(header, 'Mcp-Session-Id header')
      request.sessionId = sessionPolicy.asksRedis('mcp') ? (await sessionPolicy.settle(named, 'mcp', request.clientAddress, request.log))[0] : named
    }
    request.sessionHash = hashSessionId(request.sessionId)
  })

  // Counted by the session store in its turn's script call (with the client address's count):
  // one round trip for both, where @fastify/rate-limit's own command and the address's would be two.
  fastify.post('/', { prefixTrailingSlash: 'no-slash', schema: { hide: true }, config: { rateLimit: false, rateLimitInSession: true } }, async (request, reply) => {
    await fastify.sessionStore.countRequest(request.sessionId, request.rateTicket!)
    endpoint ??= (await loadSdk()).createMcpEndpoint(fastify, tools)
    // As on POST /api/query: a run_query read whose client goes away is stopped.
    const answer = await endpoint.handle(request.headers, request.body, { sessionId: request.sessionId, log: request.log, client: request.raw.socket, address: request.clientAddress })
    reply.code(answer.status).header(MCP_SESSION_HEADER, request.sessionId)
    if (answer.json === undefined) return reply.send()
    // A run_query answer can be as large as a query's (its text and its structured content share
    // the budget): it goes out as POST /api/query's large answers do.
    return reply.type('application/json').sendAnswer(answer.json)
  })

  const noStreams = async () => {
    throw new AppError('method_not_allowed', 'This MCP endpoint answers POST with JSON; it opens no server-sent event streams.')
  }
  fastify.get('/', { prefixTrailingSlash: 'no-slash', schema: { hide: true } }, noStreams)
  fastify.delete('/', { prefixTrailingSlash: 'no-slash', schema: { hide: true } }, noStreams)
}

const MCP_SESSION_CONFLICT = new AppError('session_id_conflict',
  'On /mcp the Mcp-Session-Id header names the session (initialize starts a new one): an X-Session-Id header naming another session could be taken for this request\'s by a proxy or log in front. Leave it out, or send the same id in both. Nothing ran.')

/** Whether `body` is a JSON-RPC message naming `method`, whatever else it holds. */
function isMessage (body: unknown, method: string): boolean {
  return typeof body === 'object' && body !== null && (body as { method?: unknown }).method === method
}

export default mcpRoutes
