import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { AppError } from '../errors/errors.js'
import { memoize } from '../memo.js'
import { hashSessionId } from './session-id.js'
import { CONFLICTING, createCookieReader, sessionCookieName } from './session-cookie.js'
import type { SessionSource } from './session-policy.js'

export type { SessionSource }

declare module 'fastify' {
  interface FastifyRequest {
    /** The one session id of this request, resolved by this plugin and nowhere else. */
    sessionId: string
    /** A short digest of the id: what logs show instead of the bearer token. */
    sessionHash: string
    sessionSource: SessionSource
  }
}

export const SESSION_HEADER = 'x-session-id'
/** Session ids whose signed cookie (and cookies whose check) are remembered. */
const MEMO_SIZE = 10_000
const kNeedsCookie = Symbol('sqlgate.needsCookie')
type CookieFlag = FastifyRequest & { [kNeedsCookie]: boolean }

/**
 * Resolves `request.sessionId` for every route of the scope it is registered in, in one order:
 *   1. `:session_id` in the URL, on the routes that name a session explicitly;
 *   2. `session_id` in the JSON body (null counts as absent); with the X-Session-Id header naming
 *      another id as well, 400 session_id_conflict;
 *   3. the X-Session-Id header;
 *   4. the signed `sid` cookie (a bad signature counts as absent; two signed ones that hold
 *      different sessions, 400 session_id_conflict);
 *   5. a new id.
 * A supplied id that is malformed is refused with 400 invalid_session_id, never replaced by a
 * new one: silently replacing it is how the seed's backend lost its sessions.
 *
 * With SESSION_STRICT=true a well-formed id is accepted only if this service issued it (its
 * session exists in Redis); an unknown one is replaced by a newly issued id, which the answer
 * carries, and the attempt is logged (hashed); a session read by URL answers 404 session_not_found.
 *
 * In every mode, a new session and a session read by URL count against the client's address
 * (RATE_LIMIT_MAX per window): neither spends a session's own budget, so a client cannot shed its
 * limit by starting sessions, and reading someone's session by its id spends none of theirs.
 *
 * Registered with fastify-plugin inside the /api scope, so its hooks cover exactly the routes of
 * that scope, whatever their URL, and no route can resolve the id its own way.
 */
export default fp(async function sessionPlugin (fastify) {
  const { SESSION_MAX_AGE_SECONDS, COOKIE_SECURE, COOKIE_PATH } = fastify.config
  const policy = fastify.sessionPolicy
  const cookieName = sessionCookieName(COOKIE_SECURE === true, COOKIE_PATH)
  // The cookie is set once, not on every answer, so it lives as long as its session may: with
  // the idle lifetime (SESSION_TTL_SECONDS, which use refreshes in Redis but not in the browser),
  // a browser in daily use lost its cookie, and with it its database, a day after it was set.
  // Redis ends the session when it is idle; a browser that comes back later starts afresh.
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'lax',
    // Behind a proxy serving sqlgate under a path, that path: the browser then keeps the cookie
    // apart from another application's `sid` on the same host, and sends it (first) only here.
    path: COOKIE_PATH,
    maxAge: SESSION_MAX_AGE_SECONDS,
    secure: COOKIE_SECURE
  } as const

  // Signing and checking a cookie is an HMAC each, the log's hash a SHA-256: all depend only on
  // the id (or the cookie), so they are done once per id seen lately, not once per request.
  const setCookieHeader = memoize(MEMO_SIZE, (sessionId) =>
    fastify.serializeCookie(cookieName, fastify.signCookie(sessionId), cookieOptions))
  const sessionHash = memoize(MEMO_SIZE, hashSessionId)
  const readCookie = createCookieReader(fastify, cookieName, MEMO_SIZE)

  // Whether the answer must (re)set the cookie: a field of the request rather than a WeakSet of
  // requests, whose table only sheds its entries at a full collection and grew with every request.
  fastify.decorateRequest(kNeedsCookie, false)

  function settle (request: FastifyRequest, sessionId: string, source: SessionSource, cookieId: string | undefined): void {
    request.sessionId = sessionId
    request.sessionSource = source
    request.sessionHash = sessionHash(sessionId)
    // A session named in the URL is only looked at: it never becomes the browser's session.
    if (source !== 'url' && cookieId !== sessionId) (request as CookieFlag)[kNeedsCookie] = true
  }

  // The body is parsed by now; validation has not run yet, so a bad id is named as such.
  // Callback hooks, not async ones: both run on every request, and only strict sessions wait.
  fastify.addHook('preValidation', (request, _reply, done) => {
    const cookie = readCookie(request.headers.cookie)
    // Throws 400 invalid_session_id, or session_id_conflict.
    const [sessionId, source] = resolve(request, cookie === CONFLICTING ? CONFLICTING : cookie?.id, policy.supplied)
    // A cookie signed with an accepted older secret does not hold the session as it should.
    const heldByCookie = cookie === null || cookie === CONFLICTING || cookie.renew ? undefined : cookie.id
    if (!policy.asksRedis(source)) {
      settle(request, sessionId, source, heldByCookie)
      done()
      return
    }
    policy.settle(sessionId, source, request.clientAddress, request.log).then(([id, from]) => {
      settle(request, id, from, heldByCookie)
      done()
    }, done)
  })

  // After validation: a request refused as invalid does not get a cookie.
  fastify.addHook('preHandler', (request, reply, done) => {
    if ((request as CookieFlag)[kNeedsCookie]) reply.header('set-cookie', setCookieHeader(request.sessionId))
    done()
  })
}, { name: 'session', dependencies: ['config', 'cookie', 'session-policy', 'session-fields'] })

/**
 * The request fields, declared once for the whole server (every request has the same shape; ''
 * until a session plugin or the MCP endpoint fills them), so code outside those scopes, such as
 * the rate limit's key and the request log, sees '' rather than undefined.
 */
export const sessionFields = fp(async function sessionFieldsPlugin (fastify) {
  fastify.decorateRequest('sessionId', '')
  fastify.decorateRequest('sessionHash', '')
  fastify.decorateRequest('sessionSource', 'new')
}, { name: 'session-fields' })

/** Where the request names its session, in the order above; a new session's id comes from the policy. */
function resolve (request: FastifyRequest, cookieId: string | typeof CONFLICTING | undefined, supplied: (value: unknown, where: string) => string): [string, SessionSource] {
  // Not a source: ignored, it would have meant a new session with no database (the seed's bug).
  if ((request.query as Record<string, unknown> | undefined)?.session_id !== undefined) throw QUERY_STRING_SESSION
  const params = request.params as Record<string, unknown> | undefined
  if (params !== undefined && params !== null && 'session_id' in params) {
    return [supplied(params.session_id, 'URL'), 'url']
  }
  const body = request.body
  const fromHeader = request.headers[SESSION_HEADER]
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const fromBody = (body as Record<string, unknown>).session_id
    if (fromBody !== undefined && fromBody !== null) {
      // Two ids, each of which a reader in front (a proxy, an audit log) could take for the
      // request's session: refused, so that every reader reads the same one.
      if (fromHeader !== undefined && fromHeader !== fromBody) throw SESSION_ID_CONFLICT
      return [supplied(fromBody, 'body'), 'body']
    }
  }
  if (fromHeader !== undefined) return [supplied(fromHeader, 'X-Session-Id header'), 'header']
  if (cookieId === CONFLICTING) throw SESSION_COOKIE_CONFLICT
  if (cookieId !== undefined) return [cookieId, 'cookie']
  return ['', 'new']
}

const SESSION_ID_CONFLICT = new AppError('session_id_conflict',
  'The body\'s session_id and the X-Session-Id header name different sessions: send the id in one of them, or the same id in both. Nothing ran.')

const SESSION_COOKIE_CONFLICT = new AppError('session_id_conflict',
  'The request carries two session cookies that hold different sessions: one of them was set by another site of this domain, or by a path of this one, and either could be taken for this request\'s. Name the session in the X-Session-Id header or the body, or clear this site\'s cookies. Nothing ran.')

const QUERY_STRING_SESSION = new AppError('validation_error',
  'querystring/session_id is not read: send the session id in the X-Session-Id header, the JSON body or the sid cookie (a URL is logged by proxies and kept in browser history).',
  { details: [{ field: 'querystring/session_id', message: 'is not read: send it in the X-Session-Id header, the JSON body or the sid cookie' }] })
