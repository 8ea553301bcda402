import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'
import { hashSessionId } from '../session/session-id.js'

/** What the request line says, besides pino's own level, time and bindings (pid, host, reqId). */
export interface RequestLine {
  method: string
  route: string
  status: number
  ms: number
  session: string | undefined
}

const MESSAGE = 'request'

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

/** HTTP status of a request whose client closed its connection before the answer (nginx's). */
export const CLIENT_CLOSED_REQUEST = 499

/**
 * The request line of a request whose client went away before its answer: Fastify writes none
 * (its line comes when the answer is sent, and this answer never is).
 */
export function logClientClosed (request: FastifyRequest, reply: FastifyReply): void {
  closedLogged.add(request)
  request.log.info(requestLine(request, reply, CLIENT_CLOSED_REQUEST), MESSAGE)
}

/**
 * Requests whose line logClientClosed wrote. Fastify writes one too when the answer still reaches
 * a socket that is closing (a client gone as its request arrived), and a request has one line.
 */
const closedLogged = new WeakSet<FastifyRequest>()

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
  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode === CLIENT_CLOSED_REQUEST && closedLogged.has(request)) return
    const line = requestLine(request, reply, reply.statusCode)
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log.info(line, MESSAGE)
  }
}
