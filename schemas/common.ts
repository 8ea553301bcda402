import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox'
import { SESSION_ID_PATTERN } from '../plugins/app/session/session-id.js'

/**
 * A session id as a client may send it. The session plugin checks the pattern itself (so a bad
 * id is `invalid_session_id`, not a generic validation error); the schemas carry it for the
 * OpenAPI document. It has no example: Swagger UI fills a field in with its example, and every
 * visitor who pressed Execute in /docs then used, and shared, that one session.
 */
export const SessionIdSchema = Type.String({
  pattern: SESSION_ID_PATTERN,
  description: 'Session id: 8 to 128 characters of A-Z a-z 0-9 _ -. Omit it to use the sid cookie or get a new one.'
})

/** Body field: optional, and `null` counts as absent (the seed's frontend sends null). */
export const OptionalBodySessionId = Type.Optional(Type.Union([SessionIdSchema, Type.Null()]))

/**
 * An object or null, as one schema of type ['object', 'null'] (OpenAPI 3.1, JSON Schema) rather
 * than a union: fast-json-stringify serialises a union by validating the value against each
 * branch with Ajv first (formats included), a type list with one typeof check. For answers on hot
 * routes.
 */
export function NullableObject<T extends TObject> (schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: ['object', 'null'] })
}

export const DatabaseNameSchema = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'A database (schema) name exactly as the server spells it',
  examples: ['sales_db']
})

export const ErrorSchema = Type.Object({
  statusCode: Type.Integer({ examples: [409] }),
  error: Type.String({ examples: ['Conflict'] }),
  code: Type.String({
    description: 'Stable, machine-readable error code (see the README for the full list)',
    examples: ['database_context_missing']
  }),
  message: Type.String(),
  errno: Type.Optional(Type.Integer({ description: "sql_error: the server's error number", examples: [1146] })),
  sql_state: Type.Optional(Type.String({ description: 'sql_error: the SQLSTATE', examples: ['42S02'] })),
  recovery_action: Type.Optional(Type.String({ description: 'What the client should do next', examples: ['select_database'] })),
  details: Type.Optional(Type.Unknown({ description: 'Extra, code-specific information' }))
}, { $id: 'Error', additionalProperties: true, description: 'The error envelope of every non-2xx answer' })

export type ErrorBody = Static<typeof ErrorSchema>

const envelope = (statusCode: number, error: string, code: string, message: string, extra: Record<string, unknown> = {}) =>
  ({ statusCode, error, code, message, ...extra })

/** What each error status means here, with a typical answer (README "Errors" has every code). */
const ERROR_RESPONSES: Record<number, { description: string, example: Record<string, unknown> }> = {
  400: {
    description: 'Bad request: invalid_session_id, validation_error, invalid_json, sql_error, syntax_error, multiple_statements, empty_query, unsupported_statement, param_count_mismatch, transaction_left_open',
    example: envelope(400, 'Bad Request', 'validation_error', 'body/database_name must NOT have fewer than 1 characters',
      { details: [{ field: 'body/database_name', message: 'must NOT have fewer than 1 characters' }] })
  },
  403: {
    description: 'read_only_violation: the statement is not a read; nothing was sent to the database. host_not_allowed (any route): the request names a host that is not in ALLOWED_HOSTS',
    example: envelope(403, 'Forbidden', 'read_only_violation', 'This gateway is read-only: DELETE statements are refused. Only SELECT, WITH … SELECT, SHOW, DESCRIBE and EXPLAIN run here; nothing was sent to the database.')
  },
  404: {
    description: 'database_not_found: no such database, a system schema, or not in DATABASE_ALLOWLIST (also the session\'s selected database, dropped or no longer served since). session_not_found (SESSION_STRICT=true): a session read by id that this service did not issue, or that has ended',
    example: envelope(404, 'Not Found', 'database_not_found', "Database 'sales_db' does not exist or is not available through this gateway.")
  },
  409: {
    description: 'database_context_missing: the session has no database selected; lock_conflict (READ_ONLY=false): the statement conflicted with another transaction (lock wait timeout, deadlock) and was rolled back, run it again',
    example: envelope(409, 'Conflict', 'database_context_missing',
      'No database context found for session session_1757773211072_s4xhkug2t. Select a database first (POST /api/database/select).',
      { recovery_action: 'select_database' })
  },
  413: {
    description: 'payload_too_large: the body is over 1 MiB',
    example: envelope(413, 'Payload Too Large', 'payload_too_large', 'Request body is too large')
  },
  415: {
    description: 'unsupported_media_type: the body is not application/json, or is compressed (a Content-Encoding other than identity)',
    example: envelope(415, 'Unsupported Media Type', 'unsupported_media_type', 'Content-Type "text/plain" is not accepted: send the body as JSON, with Content-Type: application/json.')
  },
  401: {
    description: 'unauthorized: API_KEYS is set and the request has no valid Authorization: Bearer <key>',
    example: envelope(401, 'Unauthorized', 'unauthorized', 'A valid API key is required: Authorization: Bearer <key>.')
  },
  429: {
    description: 'rate_limited (retry after Retry-After seconds) or too_many_concurrent_queries',
    example: envelope(429, 'Too Many Requests', 'rate_limited', 'Rate limit exceeded: 300 requests per 60 s. Retry in 12 s.', { retry_after_seconds: 12 })
  },
  500: {
    description: 'internal_error: a bug; the log has the cause',
    example: envelope(500, 'Internal Server Error', 'internal_error', 'Internal server error')
  },
  502: {
    description: 'write_outcome_unknown (READ_ONLY=false): the connection was lost while a write ran, or it had not ended after its timeout, so it may or may not have taken effect; check before running it again',
    example: envelope(502, 'Bad Gateway', 'write_outcome_unknown', 'The connection to the database was lost while the statement ran: it may or may not have taken effect. Check before running it again.')
  },
  503: {
    description: 'session_store_unavailable, database_unavailable or database_busy (queries waiting for a pooled connection, or the database server out of a resource); retry after Retry-After seconds',
    example: envelope(503, 'Service Unavailable', 'session_store_unavailable', 'The session store (Redis) is unavailable. Retry shortly.')
  },
  504: {
    description: 'query_timeout: the statement ran past timeout_ms and was stopped on the database server; catalog_timeout: reading the catalog (databases, tables, columns) ran past QUERY_TIMEOUT_MS and was stopped there',
    example: envelope(504, 'Gateway Timeout', 'query_timeout', 'The statement ran longer than its timeout (300 ms) and was stopped on the database server.', { timeout_ms: 300 })
  }
}

export function errorResponse (status: number) {
  const known = ERROR_RESPONSES[status]
  return Type.Ref(ErrorSchema, known === undefined ? {} : { description: known.description })
}

/** What an error status means here, for the OpenAPI document. */
export function errorDescription (status: number): string | undefined {
  return ERROR_RESPONSES[status]?.description
}

/** A typical error answer for a status, for the OpenAPI document (plugins/external/swagger.ts). */
export function errorExample (status: number): Record<string, unknown> | undefined {
  return ERROR_RESPONSES[status]?.example
}

/** The error responses an /api route may answer with, keyed by status: always 400, 429, 500 and 503. */
export function withErrors<T extends Record<number, TSchema>> (responses: T, ...statuses: number[]) {
  const all: Record<number, TSchema> = { ...responses }
  // Every /api route is rate-limited (per session), so 429 is one of them too.
  for (const status of [400, 429, 500, 503, ...statuses]) {
    all[status] ??= errorResponse(status)
  }
  return all as T & Record<number, TSchema>
}

export const IsoTimestamp = Type.String({ format: 'date-time', examples: ['2026-11-24T10:15:30.123Z'] })

export const SessionHeadersSchema = Type.Object({
  'x-session-id': Type.Optional(SessionIdSchema)
})
