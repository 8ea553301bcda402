import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox'
import { STATUS_CODES } from 'node:http'
import { SESSION_ID_PATTERN } from '../plugins/app/session/session-id.js'
import { ERRORS, codesOf, type ErrorEntry } from '../plugins/app/errors/catalogue.js'

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
    description: 'Stable, machine-readable error code (docs/errors.md lists every one)',
    examples: ['database_context_missing']
  }),
  message: Type.String(),
  errno: Type.Optional(Type.Integer({ description: "sql_error: the server's error number", examples: [1146] })),
  sql_state: Type.Optional(Type.String({ description: 'sql_error: the SQLSTATE', examples: ['42S02'] })),
  recovery_action: Type.Optional(Type.String({ description: 'What the client should do next', examples: ['select_database'] })),
  details: Type.Optional(Type.Unknown({ description: 'Extra, code-specific information' }))
}, { $id: 'Error', additionalProperties: true, description: 'The error envelope of every non-2xx answer' })

export type ErrorBody = Static<typeof ErrorSchema>

/**
 * What an error status means here, for the OpenAPI document: each code of that status in the
 * catalogue, with when it is answered, as a Markdown list.
 */
export function errorDescription (status: number): string | undefined {
  const codes = codesOf(status)
  return codes.length === 0 ? undefined : codes.map((code) => `- \`${code}\`: ${ERRORS[code].when}`).join('\n')
}

/** A typical error answer for a status (the first of its codes with an example), for the OpenAPI document. */
export function errorExample (status: number): Record<string, unknown> | undefined {
  const code = codesOf(status).find((candidate) => 'example' in ERRORS[candidate])
  if (code === undefined) return undefined
  const { message, extra } = (ERRORS[code] as ErrorEntry).example!
  return { statusCode: status, error: STATUS_CODES[status], code, message, ...extra }
}

export function errorResponse (status: number) {
  const description = errorDescription(status)
  return Type.Ref(ErrorSchema, description === undefined ? {} : { description })
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
