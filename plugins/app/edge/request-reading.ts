import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../errors/errors.js'

/**
 * A request with one reading: what a proxy, firewall or log in front of the service reads of it is
 * what the service acts on. Eight parts of a request can be read two ways, and each is refused,
 * `400 invalid_request`: all but the trailers before anything else reads the request (the host
 * check among them), nothing read or run:
 *
 * - A path with percent-escapes. The router decodes them (`/api/query/%65xport` is
 *   `/api/query/export`), a reader in front that matches paths may not, and then a rule it keeps
 *   for a route does not see the route. No path of this service needs an escape: its routes and
 *   the ids in them are letters, digits, `-`, `_`, `.` and `/`.
 * - A request target with a `#`. A fragment is no part of a request target (RFC 9112); the router
 *   ends the path at it (`/api/query/export#x` is `/api/query/export`, and `?table=a#b` reads
 *   `a#b`), where a reader in front may take the whole target for the path, or drop the fragment.
 * - Host, Content-Type or Authorization named twice. RFC 9110 defines each as a single value; of
 *   several, Node keeps the first and drops the others, where a reader in front may take the last
 *   (the Host it routed by, the Content-Type it decoded the body as, the Authorization it
 *   checked). Headers Node joins into one list instead (X-Session-Id, Origin, Cookie) reach their
 *   own checks whole.
 * - As many headers as Node keeps (the server's `maxHeadersCount`, set here to Node's own default,
 *   MAX_HEADERS): Node drops those past it unread, within the 16 kB all headers may take, so a
 *   Host, Content-Type, Authorization or X-Session-Id after 1,000 short ones would be read by a
 *   proxy and not by the service. Answered `431 header_too_large`.
 * - A request that is not HTTP/1.1 or HTTP/1.0, or an HTTP/1.1 request without Host. Node also
 *   serves `GET / HTTP/2.0` written as HTTP/1 and a request line without a version (HTTP/0.9,
 *   which has no headers), which a reader in front refuses or reads as something else; and HTTP/1.1
 *   requires Host (Node's own 400 for its absence is answered here, in the error envelope).
 * - A request target that names a host of its own (`GET http://other.example/api/… HTTP/1.1`,
 *   which clients send to proxies) other than the Host header's. RFC 9112 has the target's host
 *   count, the router and the host check read the Host header's: a target is taken only when
 *   both name the same host, with no user part (`http://user@host/`, which RFC 9112 forbids), and
 *   its path starts right after the host, so that the router and any reader in front see one path.
 *   A target that is neither a path nor such a URL (`*`, `http://host?x/api/…`) is refused too.
 * - A body on a GET or HEAD. The router serves those methods without reading one, where a reader
 *   in front may take it for the request's (and a client that sends `session_id` in it would run
 *   in another session than it named, as one with `?session_id=` would).
 * - Trailer fields after a chunked body (`0\r\nX-Session-Id: …`), read after its last chunk, so
 *   after the route was chosen: the service reads none, a reader in front may merge them into the
 *   headers. Refused by the body's parser once it has the whole body (`trailersRefused`, called
 *   from ./json-body.ts, the one parser of bodies here), so that nothing runs.
 */

/** Single-value headers the service reads, by their lower-case names. */
const SINGLE = new Map([['host', 'Host'], ['content-type', 'Content-Type'], ['authorization', 'Authorization']])

/** The first header of SINGLE that `rawHeaders` (name, value, name, value, …) names more than once, or null. */
export function repeatedHeader (rawHeaders: readonly string[]): string | null {
  let seen: Set<string> | null = null
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    // Most headers differ in length from all three: they are not lower-cased.
    if (name.length !== 4 && name.length !== 12 && name.length !== 13) continue
    const lower = name.toLowerCase()
    const single = SINGLE.get(lower)
    if (single === undefined) continue
    seen ??= new Set()
    if (seen.has(lower)) return single
    seen.add(lower)
  }
  return null
}

/** Whether the path of `url` (the request line's target, before any `?`) holds a percent-escape. */
export function escapedPath (url: string): boolean {
  const escape = url.indexOf('%')
  if (escape === -1) return false
  const query = url.indexOf('?')
  return query === -1 || escape < query
}

/** A request target's absolute form: its scheme and its host, without a user part, right before its path. */
const ABSOLUTE_FORM = /^(https?):\/\/([^/?#@\\]+)\//i

/**
 * Whether `url`, a request target that is not a path, names another host than `host`, or is not
 * a scheme and host followed by a path.
 */
export function otherTarget (url: string, host: string | undefined): boolean {
  if (url.startsWith('/')) return false
  const form = ABSOLUTE_FORM.exec(url)
  if (form === null) return true
  try {
    return new URL(`${form[1]!}://${form[2]!}`).host !== new URL(`http://${host ?? ''}`).host
  } catch {
    return true
  }
}

/** Whether the request target holds a fragment, which HTTP requests never carry. */
export function fragment (url: string): boolean {
  return url.includes('#')
}

const OTHER_TARGET = new AppError('invalid_request',
  'The request target names another host than the Host header, or is not a path: send the path alone, and the host in Host. Nothing was read or run.')

const FRAGMENT = new AppError('invalid_request',
  'The request target holds a \'#\': a fragment is no part of an HTTP request, this service would end the path at it and a proxy or log in front may read it otherwise. Send the target without it. Nothing was read or run.')

const VERSION = new AppError('invalid_request',
  'This service speaks HTTP/1.1 (and HTTP/1.0): send the request line as `METHOD /path HTTP/1.1`. Nothing was read or run.')

const NO_HOST = new AppError('invalid_request', 'An HTTP/1.1 request names its host in the Host header. Nothing was read or run.')

const ESCAPED_PATH = new AppError('invalid_request',
  'The URL\'s path holds a percent-escape: no path of this service needs one, and a proxy or log in front may read it otherwise than this service would. Send the path as the API documents it. Nothing was read or run.')

/** Whether a request's headers announce a body: a length other than 0, or a transfer coding. */
export function announcesBody (headers: { 'content-length'?: string, 'transfer-encoding'?: string }): boolean {
  const length = headers['content-length']
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

const BODY_WITHOUT_USE = new AppError('invalid_request',
  'A GET or HEAD request carries no body here: this service would not read it, and a proxy or log in front may. Name the session in the X-Session-Id header, and send the rest in the URL. Nothing was read or run.')

const TRAILERS = new AppError('invalid_request',
  'The chunked body ends with trailer fields: this service reads none of them, and a proxy or log in front may take them for headers. Send every field as a header. Nothing ran.')

/** invalid_request when a request, its body read, ended with trailer fields; else null. (An injected request has no trailer list.) */
export function trailersRefused (raw: { rawTrailers?: readonly string[] }): AppError | null {
  return raw.rawTrailers === undefined || raw.rawTrailers.length === 0 ? null : TRAILERS
}

/**
 * A request asking to switch protocols (`Upgrade: h2c`, `websocket`) is served as HTTP/1.1, the one
 * protocol here, on a connection that then closes: Node reads nothing more of the bytes that
 * arrived with it, so a request pipelined behind it would go unanswered on a connection that stays
 * open, and its client (or a proxy) would take the next answer for it. Called for every request,
 * also those the router answers before any hook.
 */
export function closeAfterUpgrade (request: FastifyRequest, reply: FastifyReply): void {
  if (request.raw.headers.upgrade !== undefined) reply.header('connection', 'close')
}

/** The most headers Node reads of a request (its default); a request that reaches it may have lost some. */
export const MAX_HEADERS = 1000

const TOO_MANY_HEADERS = new AppError('header_too_large',
  `The request has ${MAX_HEADERS} headers or more: the server reads no more than that many, so one after them would not have been read. Send fewer. Nothing was read or run.`)

export default fp(async function requestReadingPlugin (fastify) {
  fastify.server.maxHeadersCount = MAX_HEADERS
  fastify.addHook('onRequest', (request, reply, done) => {
    closeAfterUpgrade(request, reply)
    if (request.raw.rawHeaders.length >= 2 * MAX_HEADERS) return done(TOO_MANY_HEADERS)
    const version = request.raw.httpVersion
    if (version !== '1.1' && version !== '1.0') return done(VERSION)
    if (version === '1.1' && request.raw.headers.host === undefined) return done(NO_HOST)
    const url = request.raw.url ?? ''
    if (otherTarget(url, request.raw.headers.host)) return done(OTHER_TARGET)
    if (fragment(url)) return done(FRAGMENT)
    if (escapedPath(url)) return done(ESCAPED_PATH)
    if ((request.method === 'GET' || request.method === 'HEAD') && announcesBody(request.raw.headers)) return done(BODY_WITHOUT_USE)
    const repeated = repeatedHeader(request.raw.rawHeaders)
    done(repeated === null
      ? undefined
      : new AppError('invalid_request', `The request names the ${repeated} header more than once. It is a single value: a proxy or log in front may have read another of them than this service would. Nothing was read or run.`))
  })
}, { name: 'request-reading' })
