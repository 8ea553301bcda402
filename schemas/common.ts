import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { SESSION_ID_PATTERN } from '../lib/session-id.js'

/**
 * A session id as a client may send it. The session plugin checks the pattern itself (so a bad
 * id is `invalid_session_id`, not a generic validation error); the schemas carry it for the
 * OpenAPI document.
 */
export const SessionIdSchema = Type.String({
  pattern: SESSION_ID_PATTERN,
  description: 'Session id: 8 to 128 characters of A-Z a-z 0-9 _ -. Omit it to use the sid cookie or get a new one.',
  examples: ['session_1757773211072_s4xhkug2tQ0dXk3mB1vZp9Aa']
})

/** Body field: optional, and `null` counts as absent (the seed's frontend sends null). */
export const OptionalBodySessionId = Type.Optional(Type.Union([SessionIdSchema, Type.Null()]))

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

export const ErrorRef = Type.Ref(ErrorSchema)

/** The error responses any /api route may answer with, keyed by status. */
export function withErrors<T extends Record<number, TSchema>> (responses: T, ...statuses: number[]) {
  const all: Record<number, TSchema> = { ...responses }
  for (const status of [400, 500, 503, ...statuses]) {
    all[status] ??= ErrorRef
  }
  return all as T & Record<number, TSchema>
}

export const IsoTimestamp = Type.String({ format: 'date-time', examples: ['2026-11-24T10:15:30.123Z'] })

export const SessionHeadersSchema = Type.Object({
  'x-session-id': Type.Optional(SessionIdSchema)
})
