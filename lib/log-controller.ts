import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify'
import { pino } from 'pino'
import { jsonNumber, jsonString } from './json-text.js'
import { memoize } from './memo.js'
import { hashSessionId } from './session-id.js'

/** What the request line says, besides pino's own level, time and bindings (pid, host, reqId). */
export interface RequestLine {
  method: string
  route: string
  status: number
  ms: number
  session: string | undefined
}

const INFO = 30
const MESSAGE = 'request'
const symbols = pino.symbols as typeof pino.symbols & { readonly msgPrefixSym: symbol }
type PinoInternals = Record<symbol, unknown> & {
  [symbols.asJsonSym]: (obj: object, msg: string, level: number, time: string) => string
  [symbols.timeSym]: () => string
  [symbols.chindingsSym]: string
  [symbols.lsCacheSym]: Record<number, string>
  [symbols.streamSym]: { write: (line: string) => unknown, [symbols.needsMetadataGsym]?: boolean }
  [symbols.hooksSym]: { logMethod?: unknown, streamWrite?: unknown }
}

/** Of a path that matched no route, at most this much is logged. */
const UNMATCHED_PATH_MAX_CHARS = 200

/**
 * A path that matched no route, as the log shows it: without its query string, cut to 200
 * characters, and with every segment that could be a session id or another token (16 or more
 * characters of a session id's alphabet) as its hash: `/api/database/context/<id>/` (a stray
 * slash) would otherwise have put a bearer token in the log.
 */
export function unmatchedPath (url: string): string {
  const path = url.split('?')[0] ?? ''
  return path.slice(0, UNMATCHED_PATH_MAX_CHARS).split('/')
    .map((segment) => /^[A-Za-z0-9_-]{16,}$/.test(segment) ? `:${hashSessionId(segment)}` : segment)
    .join('/')
}

/** Route patterns are few (the route table's), so each is escaped once. */
const escapedRoutes = memoize(1000, jsonString)

/**
 * The request line exactly as pino's info(line, 'request') writes it, built directly: pino's
 * general path (a for-in over the object, serializer and redaction lookups, escaping every key)
 * was about 3 µs of a context request's 50 on the 2-core bench machine; this is a few string
 * joins. A URL that matched no route comes from the client and is escaped like any string.
 */
export function formatRequestLine (levelPrefix: string, time: string, bindings: string, line: RequestLine, routeMatched = false): string {
  return levelPrefix + time + bindings +
    ',"method":' + jsonString(line.method) +
    ',"route":' + (routeMatched ? escapedRoutes(line.route) : jsonString(line.route)) +
    ',"status":' + String(line.status) +
    ',"ms":' + jsonNumber(line.ms) +
    (line.session === undefined ? '' : ',"session":' + jsonString(line.session)) +
    ',"msg":"' + MESSAGE + '"}\n'
}

/**
 * Whether this logger would write the request line byte for byte as formatRequestLine does: no
 * mixin, hooks, message prefix or metadata-hungry stream (a multistream), and its own formatting
 * (level labels, formatters, redaction, message key) gives the same text for a sample line. Any
 * other configuration keeps pino's path.
 */
export function canWriteDirectly (logger: FastifyBaseLogger): boolean {
  const log = logger as unknown as PinoInternals
  const hooks = log[symbols.hooksSym]
  if (typeof log[symbols.asJsonSym] !== 'function' || typeof log[symbols.timeSym] !== 'function') return false
  if (log[symbols.mixinSym] !== undefined && log[symbols.mixinSym] !== null) return false
  if (hooks?.logMethod !== undefined || hooks?.streamWrite !== undefined) return false
  if (typeof log[symbols.msgPrefixSym] === 'string') return false
  if (log[symbols.streamSym]?.[symbols.needsMetadataGsym] === true) return false
  const sample: RequestLine = { method: 'GET', route: '/a"\\\u00e9\u2028/:b', status: 200, ms: 1.5, session: '0123abcd' }
  const time = ',"time":1'
  const levelPrefix = log[symbols.lsCacheSym][INFO] ?? ''
  return [sample, { ...sample, session: undefined }].every((line) => log[symbols.asJsonSym]({ ...line }, MESSAGE, INFO, time) ===
    formatRequestLine(levelPrefix, time, log[symbols.chindingsSym], line))
}

/** HTTP status of a request whose client closed its connection before the answer (nginx's). */
export const CLIENT_CLOSED_REQUEST = 499

/**
 * The request line of a request whose client went away before its answer: Fastify writes none
 * (its line comes when the answer is sent, and this answer never is).
 */
export function logClientClosed (request: FastifyRequest, reply: FastifyReply): void {
  request.log.info(requestLine(request, reply, CLIENT_CLOSED_REQUEST), MESSAGE)
}

/** What the request line says of `request`, answered with `status`. */
function requestLine (request: FastifyRequest, reply: FastifyReply, status: number): RequestLine {
  return {
    method: request.method,
    route: request.routeOptions.url ?? unmatchedPath(request.url),
    status,
    ms: Math.round(reply.elapsedTime * 10) / 10,
    session: request.sessionHash === '' ? undefined : request.sessionHash
  }
}

/**
 * One info line per request, written when the answer is sent (Fastify's default is two). It names
 * the route pattern, not the raw URL (which can hold a session id), and the session only by its
 * hash. Query text, cookies and headers are never part of it.
 */
export class RequestLogController extends LogController {
  /**
   * Decided on the first request, from that request's logger: every request's logger is a child of
   * the root with the same settings (no route here sets its own logSerializers; a route's logLevel
   * is honoured, the level is checked on each request).
   */
  #direct: boolean | undefined

  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = requestLine(request, reply, reply.statusCode)
    const log = reply.log
    if (error) {
      log.error({ ...line, err: error }, 'request errored')
      return
    }
    this.#direct ??= canWriteDirectly(log)
    if (!this.#direct) {
      log.info(line, MESSAGE)
      return
    }
    const internals = log as unknown as PinoInternals & pino.Logger
    if (!internals.isLevelEnabled('info')) return
    internals[symbols.streamSym].write(formatRequestLine(internals[symbols.lsCacheSym][INFO] ?? '', internals[symbols.timeSym](),
      internals[symbols.chindingsSym], line, request.routeOptions.url !== undefined))
  }
}
