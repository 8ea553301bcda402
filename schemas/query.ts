import { Type, type Static } from '@sinclair/typebox'
import { IsoTimestamp, OptionalBodySessionId, SessionIdSchema } from './common.js'

export const QueryBodySchema = Type.Object({
  query: Type.String({ minLength: 1, maxLength: 100_000, description: 'One SQL statement', examples: ['SELECT id, name FROM customers LIMIT 10'] }),
  session_id: OptionalBodySessionId
}, { additionalProperties: false, examples: [{ query: 'SELECT id, name FROM customers LIMIT 10' }] })
export type QueryBody = Static<typeof QueryBodySchema>

export const ResultColumnSchema = Type.Object({
  name: Type.String(),
  type: Type.String({ description: "The database's type name", examples: ['BIGINT', 'VARCHAR', 'DECIMAL', 'DATETIME', 'JSON'] }),
  nullable: Type.Optional(Type.Boolean())
})
export type ResultColumn = Static<typeof ResultColumnSchema>

export const QueryReplySchema = Type.Object({
  success: Type.Literal(true),
  query_id: Type.String({ format: 'uuid' }),
  session_id: SessionIdSchema,
  database_name: Type.String(),
  columns: Type.Array(ResultColumnSchema),
  rows: Type.Array(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Array(Type.Unknown())])),
  row_count: Type.Integer(),
  affected_rows: Type.Optional(Type.Integer({ description: 'For statements that change rows' })),
  execution_time_ms: Type.Number()
})

export const QueryHistoryEntrySchema = Type.Object({
  query_id: Type.String(),
  query: Type.String(),
  status: Type.Union([Type.Literal('ok'), Type.Literal('error')]),
  error_code: Type.Union([Type.String(), Type.Null()]),
  row_count: Type.Integer(),
  execution_time_ms: Type.Number(),
  executed_at: IsoTimestamp
})
