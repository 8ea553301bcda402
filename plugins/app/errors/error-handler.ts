import { STATUS_CODES } from 'node:http'
import fp from 'fastify-plugin'
import { CLIENT_CLOSED_REQUEST, logClientClosed } from '../logging/log-controller.js'
import type { FastifyError, FastifyRequest } from 'fastify'
import { AppError } from './errors.js'
import { EXPORT_TRAILERS } from '../export/export-headers.js'
import type { ErrorCode } from './catalogue.js'

/** Fastify's own error codes → our stable codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_BAD_URL: 'invalid_request'
}

/** Another 4xx a plugin answers (@fastify/static, the rate limiter): its status's own code. */
const BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited'
}

/**
 * One error envelope everywhere: `{ statusCode, error, code, message }` plus code-specific
 * fields. 4xx messages pass through; a 5xx never shows its internals to the client, and is
 * logged at error with the request id.
 */
export default fp(async function errorHandlerPlugin (fastify) {
  fastify.setErrorHandler(function errorHandler (err: FastifyError | AppError, request, reply) {
    const body = toEnvelope(err)
    if (body.code === 'validation_error') nameUnknownFields(err as FastifyError, request, body)
    if ((err as FastifyError).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') body.message = unsupportedMediaType(request.headers['content-type'])
    if (body.statusCode === CLIENT_CLOSED_REQUEST) {
      // Never sent (nobody is there), so Fastify writes no request line for it: this is its line.
      logClientClosed(request, reply)
    } else if (body.statusCode >= 500) {
      request.log.error({ err: withoutStatement(err instanceof AppError && err.cause !== undefined ? err.cause : err), code: body.code }, 'request failed')
    } else {
      request.log.debug({ code: body.code }, err.message)
    }
    if (err instanceof AppError && err.headers !== undefined) reply.headers(err.headers)
    // An error in place of a file (an export that failed before its first byte) is no attachment,
    // and has no trailers: they would make it chunked while it is sent with its length.
    reply.removeHeader('content-disposition').removeHeader('transfer-encoding').removeHeader('trailer')
    for (const trailer of EXPORT_TRAILERS) reply.removeTrailer(trailer)
    return reply.code(body.statusCode).send(body)
  })

  // Every route's methods, by its URL pattern: a request for a route that exists with another
  // method (GET /api/query) answers 405 with the methods it takes, not 404 as if it were not there.
  const routes = new Map<string, { pattern: RegExp, methods: Set<string> }>()
  fastify.addHook('onRoute', (route) => {
    // A catch-all (CORS's preflight route, OPTIONS *) is no route of its own.
    if (route.url === '*' || route.url === '/*') return
    let entry = routes.get(route.url)
    if (entry === undefined) routes.set(route.url, entry = { pattern: urlPattern(route.url), methods: new Set() })
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) entry.methods.add(method)
  })

  fastify.setNotFoundHandler(function notFound (request, reply) {
    const path = request.url.split('?', 1)[0]!
    const allowed = new Set<string>()
    for (const { pattern, methods } of routes.values()) {
      if (pattern.test(path)) for (const method of methods) allowed.add(method)
    }
    // A route of this method that answered "not found" itself (a missing static file) stays a 404.
    if (allowed.size > 0 && !allowed.has(request.method)) {
      const allow = [...allowed].sort().join(', ')
      return reply.code(405).header('allow', allow)
        .send(new AppError('method_not_allowed', `${path} takes ${allow}, not ${request.method.slice(0, 20)}`).toJSON())
    }
    return reply.code(404).send(new AppError('not_found', `Route ${request.method} ${path} not found`).toJSON())
  })
}, { name: 'error-handler' })

/** A route URL (`/api/database/context/:session_id`, `/docs/static/*`) as a pattern of request paths. */
function urlPattern (url: string): RegExp {
  const source = url.split('/').map((segment) => segment === '*'
    ? '.*'
    : segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('/')
  return new RegExp(`^${source}$`)
}

/**
 * Fastify's 415 says only "Unsupported Media Type". `curl -d` without `-H` sends a form's type, and
 * a body with no Content-Type at all is refused the same way: the message says what to send.
 */
function unsupportedMediaType (contentType: string | undefined): string {
  const sent = contentType === undefined || contentType.trim() === ''
    ? 'The body has no Content-Type'
    : `Content-Type ${JSON.stringify(contentType.slice(0, 60))} is not accepted`
  return `${sent}: send the body as JSON, with Content-Type: application/json.`
}

/**
 * The error to log, without the statement mysql2 attaches to a command's errors (`sql`): no query
 * text is logged at info (README, Logs), and a statement's literals may be anything.
 */
function withoutStatement (err: unknown): unknown {
  if (typeof err !== 'object' || err === null || !Object.hasOwn(err, 'sql')) return err
  const copy = Object.assign(Object.create(Object.getPrototypeOf(err) as object) as Record<string, unknown>, err)
  delete copy.sql
  copy.message = (err as Error).message
  copy.stack = (err as Error).stack
  return copy
}

export function toEnvelope (err: FastifyError | AppError): Record<string, unknown> & { statusCode: number, code: ErrorCode } {
  if (err instanceof AppError) return err.toJSON() as ReturnType<typeof toEnvelope>

  if (err.validation !== undefined) {
    const context = err.validationContext ?? 'body'
    const details = narrowUnions(err.validation).map((issue) => ({ field: `${context}${issue.instancePath}`, message: issue.message }))
    return {
      statusCode: 400,
      error: 'Bad Request',
      code: 'validation_error',
      message: saidOf(details),
      details
    }
  }

  const statusCode = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600
    ? err.statusCode
    : 500
  if (statusCode >= 500) {
    return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', code: 'internal_error', message: 'Internal server error' }
  }
  const code = FASTIFY_CODES[err.code] ??
    (err instanceof SyntaxError ? 'invalid_json' : BY_STATUS[statusCode] ?? 'bad_request')
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', code, message: err.message }
}

/** At most this many of a request's unknown fields (a tool call's arguments) are named beside a missing one. */
export const UNKNOWN_FIELDS_NAMED = 5

/** What a validation error says of a field the route does not take. */
const UNKNOWN_FIELD = 'is not a field of this request'

/**
 * Validation stops at a body's first error, so a missing field (`query`) hides the field the
 * client sent in its place (`sql`, `statement`): then the body's fields the route does not take
 * are named as well, as an unknown field alone would be.
 */
function nameUnknownFields (err: FastifyError, request: FastifyRequest, envelope: Record<string, unknown>): void {
  const missing = err.validationContext === 'body' && err.validation?.some((issue) => issue.keyword === 'required' && issue.instancePath === '')
  const taken = (request.routeOptions.schema?.body as { properties?: Record<string, unknown> } | undefined)?.properties
  const body = request.body
  if (missing !== true || taken === undefined || typeof body !== 'object' || body === null || Array.isArray(body)) return
  const unknown = Object.keys(body).filter((key) => !Object.hasOwn(taken, key)).slice(0, UNKNOWN_FIELDS_NAMED)
  if (unknown.length === 0) return
  const details = envelope.details as Array<{ field: string, message: string }>
  for (const key of unknown) details.push({ field: `body/${key.slice(0, 64)}`, message: UNKNOWN_FIELD })
  envelope.message = saidOf(details)
}

/** A validation error's message: each detail's field and what is wrong with it. */
function saidOf (details: ReadonlyArray<{ field: string, message: string }>): string {
  return details.map((detail) => `${detail.field} ${detail.message}`).join(', ')
}

interface ValidationIssue { instancePath: string, keyword: string, params?: Record<string, unknown>, message?: string }

/**
 * Ajv reports a value that matches no branch of a union (anyOf) with every branch's complaint and
 * then the union's own: "must be string, must be <= 9007199254740991, must be boolean, must be
 * null, must match a schema in anyOf". Of those, what the client needs is the complaint of the
 * branch its value's type chose (a bound, a length), or else what the union takes.
 */
export function narrowUnions (issues: readonly ValidationIssue[]): Array<{ instancePath: string, message: string }> {
  const unions = new Set(issues.filter((issue) => issue.keyword === 'anyOf').map((issue) => issue.instancePath))
  const narrowed: Array<{ instancePath: string, message: string }> = []
  const add = (instancePath: string, message: string): void => {
    if (!narrowed.some((issue) => issue.instancePath === instancePath && issue.message === message)) narrowed.push({ instancePath, message })
  }
  for (const issue of issues) {
    if (issue.keyword === 'additionalProperties' && typeof issue.params?.additionalProperty === 'string') {
      // "must NOT have additional properties" does not say which: the field itself is named.
      add(`${issue.instancePath}/${issue.params.additionalProperty}`, UNKNOWN_FIELD)
      continue
    }
    if (!unions.has(issue.instancePath)) {
      add(issue.instancePath, issue.message ?? 'is not valid')
      continue
    }
    if (narrowed.some((done) => done.instancePath === issue.instancePath)) continue
    const branches = issues.filter((other) => other.instancePath === issue.instancePath && other.keyword !== 'anyOf')
    const constraints = branches.filter((branch) => branch.keyword !== 'type' && branch.keyword !== 'const')
    if (constraints.length > 0) {
      // An unknown field is named on its own (above).
      for (const constraint of constraints) if (constraint.keyword !== 'additionalProperties') add(issue.instancePath, constraint.message ?? 'is not valid')
      continue
    }
    const allowed = branches.filter((branch) => branch.keyword === 'const').map((branch) => JSON.stringify(branch.params?.allowedValue))
    const types = branches.filter((branch) => branch.keyword === 'type').map((branch) => String(branch.params?.type))
    add(issue.instancePath, allowed.length > 0 ? `must be one of ${[...new Set(allowed)].join(', ')}` : `must be ${oneOf([...new Set(types)])}`)
  }
  return narrowed
}

function oneOf (types: string[]): string {
  const named = types.length <= 1 ? types[0] ?? 'valid value' : `${types.slice(0, -1).join(', ')} or ${types.at(-1)!}`
  return `${/^[aeiou]/.test(named) ? 'an' : 'a'} ${named}`
}
