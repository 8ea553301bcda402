import { Type, type Static } from '@sinclair/typebox'
import type { Config } from './config.js'
import { IsoTimestamp, OptionalBodySessionId, SessionIdSchema } from './common.js'

/**
 * A JSON number carries an integer exactly only up to ±(2^53 − 1): 9007199254740993 arrives as
 * ...992, and `WHERE id = ?` would then match another row. Larger integers come as strings, as
 * BIGINT values go out (every number beyond that bound is an integer, so no fraction is refused).
 */
export const ParamSchema = Type.Union([
  Type.String({ maxLength: 65_535 }),
  Type.Number({
    minimum: -Number.MAX_SAFE_INTEGER,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'Integers beyond ±9007199254740991 must be sent as strings: a JSON number cannot carry them exactly'
  }),
  Type.Boolean(),
  Type.Null()
])

export type QueryLimits = Pick<Config, 'QUERY_MAX_ROWS' | 'QUERY_MAX_ROWS_LIMIT' | 'QUERY_TIMEOUT_MS' | 'QUERY_TIMEOUT_MAX_MS'>

export const QueryTextSchema = Type.String({ minLength: 1, maxLength: 100_000, description: 'One SQL statement', examples: ['SELECT id, name FROM customers WHERE id = ?'] })

export const ExpectDatabaseSchema = Type.Optional(Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'The database the client shows the result under (a console tab): when the session\'s context is another one (another tab switched it), the answer is 409 database_context_changed with both names, and nothing runs'
}))

export const ParamsSchema = Type.Optional(Type.Array(ParamSchema, {
  maxItems: 10_000,
  description: 'Values bound to the ? placeholders by the driver (a server-side prepared statement), never spliced into the text'
}))

/** The body of POST /api/query (and the MCP tool run_query); its bounds come from the configuration. */
export function queryBodySchema (limits: QueryLimits) {
  return Type.Object({
    query: QueryTextSchema,
    session_id: OptionalBodySessionId,
    params: ParamsSchema,
    expect_database: ExpectDatabaseSchema,
    max_rows: Type.Optional(Type.Integer({
      minimum: 1,
      maximum: limits.QUERY_MAX_ROWS_LIMIT,
      default: limits.QUERY_MAX_ROWS,
      description: 'Rows to return at most; past it the answer says truncated: true'
    })),
    timeout_ms: Type.Optional(Type.Integer({
      minimum: 1,
      maximum: limits.QUERY_TIMEOUT_MAX_MS,
      default: limits.QUERY_TIMEOUT_MS,
      description: 'Statement timeout, enforced on the database server'
    })),
    row_format: Type.Optional(Type.Union([Type.Literal('object'), Type.Literal('array')], {
      default: 'object',
      description: '"object": rows keyed by column name (a name an earlier column has gets a suffix, _2, _3 ..., in `columns` too: SELECT a.id, b.id answers id and id_2); "array": rows as arrays in column order, under the names the server gave'
    }))
  }, {
    additionalProperties: false,
    examples: [{ query: 'SELECT id, name FROM customers WHERE id = ?', params: [42], max_rows: 100 }]
  })
}
export type QueryBody = Static<ReturnType<typeof queryBodySchema>>

export const ResultColumnSchema = Type.Object({
  name: Type.String(),
  type: Type.String({ description: "The database's type name", examples: ['BIGINT', 'VARCHAR', 'DECIMAL', 'DATETIME', 'JSON'] }),
  nullable: Type.Optional(Type.Boolean())
})
export type ResultColumn = Static<typeof ResultColumnSchema>

const RowsSchema = Type.Array(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Array(Type.Unknown())]), {
  description: 'BIGINT and DECIMAL as strings, dates and times as the stored text, JSON values as the database text (every digit kept), binary as base64, spatial values as GeoJSON geometries, NULL as null'
})
const TruncatedSchema = Type.Boolean({ description: 'true when the statement had more rows than the answer holds: past max_rows, or past QUERY_MAX_RESULT_BYTES' })

export const QueryWarningSchema = Type.Object({
  level: Type.String({ examples: ['Warning', 'Note'] }),
  code: Type.Integer(),
  message: Type.String()
})
export type QueryWarning = Static<typeof QueryWarningSchema>

/** One result set after the first, shaped as the answer's own columns, rows, row_count and truncated. */
export const ResultSetSchema = Type.Object({
  columns: Type.Array(ResultColumnSchema),
  rows: RowsSchema,
  row_count: Type.Integer(),
  truncated: TruncatedSchema
})

export type ResultSet = Static<typeof ResultSetSchema>

export const QueryReplySchema = Type.Object({
  success: Type.Literal(true),
  query_id: Type.String({ format: 'uuid' }),
  session_id: SessionIdSchema,
  database_name: Type.String(),
  columns: Type.Array(ResultColumnSchema),
  rows: RowsSchema,
  row_count: Type.Integer(),
  truncated: TruncatedSchema,
  truncated_values: Type.Optional(Type.Integer({ minimum: 1, description: 'How many values of the first row were cut: that row alone weighed more than QUERY_MAX_RESULT_BYTES (counted as the JSON it is sent as), so its long text or binary values were shortened to fit; absent when none was' })),
  truncated_columns: Type.Optional(Type.Array(Type.String(), { description: 'The columns whose values were cut, with truncated_values' })),
  more_results: Type.Optional(Type.Array(ResultSetSchema, {
    description: "The statement's result sets after the first (a CALL whose procedure SELECTs more than once), in order; absent when it had one or none. max_rows caps each; QUERY_MAX_RESULT_BYTES counts them all"
  })),
  affected_rows: Type.Optional(Type.Integer({ description: 'For statements that change rows (READ_ONLY=false)' })),
  insert_id: Type.Optional(Type.String({
    pattern: '^[1-9][0-9]{0,19}$',
    description: 'The first AUTO_INCREMENT value the statement generated, as a decimal string like any BIGINT; absent when it generated none'
  })),
  warnings: Type.Optional(Type.Array(QueryWarningSchema, { description: "The statement's own warnings (SHOW WARNINGS on its connection, at most the server's max_error_count); absent when it left none" })),
  execution_time_ms: Type.Number()
}, {
  description: 'The statement ran',
  examples: [{
    success: true,
    query_id: '7d9f1c2e-5b1a-4c3d-9e8f-0a1b2c3d4e5f',
    session_id: 'session_1757773211072_s4xhkug2tQ0dXk3mB1vZp9Aa',
    database_name: 'sales_db',
    columns: [{ name: 'id', type: 'BIGINT', nullable: false }, { name: 'total', type: 'DECIMAL', nullable: false }, { name: 'placed_at', type: 'DATETIME', nullable: true }],
    rows: [{ id: '9007199254740993', total: '19.90', placed_at: '2026-11-24 10:15:30.123' }],
    row_count: 1,
    truncated: false,
    execution_time_ms: 1.234
  }]
})

export type QueryReply = Static<typeof QueryReplySchema>

/** What the query runner answers: the reply without what the route adds (the session and its database). */
export type QueryResult = Omit<QueryReply, 'success' | 'session_id' | 'database_name'>

export const QueryHistoryEntrySchema = Type.Object({
  query_id: Type.String(),
  query: Type.String({ description: 'The statement as the client wrote it, cut at 2,048 bytes of JSON (about 2,000 characters of plain text)' }),
  query_truncated: Type.Optional(Type.Literal(true, { description: 'Set when the statement was longer: `query` holds its beginning only, so it cannot be run again from the history' })),
  status: Type.Union([Type.Literal('ok'), Type.Literal('error')]),
  error_code: Type.Union([Type.String(), Type.Null()]),
  row_count: Type.Integer(),
  execution_time_ms: Type.Number(),
  executed_at: IsoTimestamp,
  truncated: Type.Optional(Type.Boolean({ description: 'An export (`format` set): true when `max_rows` cut its rows' })),
  format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('ndjson'), Type.Literal('json')], { description: 'Set for an export (`POST /api/query/export`): its format' }))
})
export type QueryHistoryEntry = Static<typeof QueryHistoryEntrySchema>

/** The most entries a history answer may be asked for (HISTORY_LIMIT's own maximum). */
export const HISTORY_LIMIT_MAX = 1000

/**
 * GET /api/query/history?limit=…: the newest `limit` entries, or every one kept without it. The
 * query string is text (its values are not coerced), so the count is its digits.
 */
export const HistoryQuerySchema = Type.Object({
  limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]{0,2}|1000)$', description: `Only the newest this many entries: 1 to ${HISTORY_LIMIT_MAX}. Without it, every entry kept (HISTORY_LIMIT)`, examples: ['10'] }))
}, { additionalProperties: false })

export const QueryHistoryReplySchema = Type.Object({
  success: Type.Literal(true),
  session_id: SessionIdSchema,
  queries: Type.Array(QueryHistoryEntrySchema, { description: 'Newest first' })
}, {
  description: "The session's recent queries",
  examples: [{
    success: true,
    session_id: 'session_1757773211072_s4xhkug2tQ0dXk3mB1vZp9Aa',
    queries: [{
      query_id: '7d9f1c2e-5b1a-4c3d-9e8f-0a1b2c3d4e5f',
      query: 'SELECT id, total FROM orders LIMIT 10',
      status: 'ok',
      error_code: null,
      row_count: 10,
      execution_time_ms: 1.234,
      executed_at: '2026-11-24T10:15:30.123Z'
    }]
  }]
})
