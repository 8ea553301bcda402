import { Type, type Static } from '@sinclair/typebox'
import type { Config } from './config.js'
import { OptionalBodySessionId } from './common.js'
import { ExpectDatabaseSchema, ParamsSchema, QueryTextSchema } from './query.js'

export type ExportLimits = Pick<Config, 'EXPORT_MAX_ROWS' | 'EXPORT_TIMEOUT_MAX_MS'>

export const ExportFormatSchema = Type.Union([Type.Literal('csv'), Type.Literal('ndjson'), Type.Literal('json')], {
  description: '"csv": RFC 4180, a header row of column names, CRLF line ends, NULL as an empty field and the empty string as ""; "ndjson": one JSON object per line, keyed as /api/query\'s object rows; "json": one JSON array of those objects'
})

/** The body of POST /api/query/export (and of an export ticket); its bounds come from the configuration. */
export function exportBodySchema (limits: ExportLimits) {
  return Type.Object({
    query: QueryTextSchema,
    session_id: OptionalBodySessionId,
    params: ParamsSchema,
    expect_database: ExpectDatabaseSchema,
    format: ExportFormatSchema,
    max_rows: Type.Optional(Type.Integer({
      minimum: 1,
      maximum: limits.EXPORT_MAX_ROWS,
      default: limits.EXPORT_MAX_ROWS,
      description: 'Rows to export at most; past it the export says so (the X-Export-Truncated trailer, the history entry and, for NDJSON, a last line)'
    })),
    timeout_ms: Type.Optional(Type.Integer({
      minimum: 1,
      maximum: limits.EXPORT_TIMEOUT_MAX_MS,
      default: limits.EXPORT_TIMEOUT_MAX_MS,
      description: 'Statement timeout, enforced on the database server; the export is cut short (no final chunk) when it fires'
    })),
    escape_formulas: Type.Optional(Type.Boolean({
      default: false,
      description: 'CSV only: give a field a spreadsheet would run as a formula (one starting with =, +, -, @, a tab or a carriage return, also after spaces, other than a plain number or a negative TIME) a leading apostrophe, so that opening the file in Excel, LibreOffice or Google Sheets runs nothing the data holds (CSV injection). The only change to the values; NDJSON and JSON are unaffected'
    })),
    filename: Type.Optional(Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'The download\'s file name, without path; characters other than letters, digits, ".", "-" and "_" become "_", and the format\'s extension is added when missing. Default: the database name and a timestamp'
    }))
  }, {
    additionalProperties: false,
    examples: [{ query: 'SELECT * FROM orders WHERE placed_at >= ?', params: ['2026-01-01'], format: 'csv', filename: 'orders-2026' }]
  })
}
export type ExportBody = Static<ReturnType<typeof exportBodySchema>>

/** The 200 answer of an export: the file itself, streamed. */
export const ExportFileResponse = {
  description: 'The rows as a file, streamed (chunked) as the database produces them; trailers X-Export-Row-Count and X-Export-Truncated at the end. A response that ends without its final chunk was cut short by a failure: the history says why',
  headers: {
    'content-disposition': { description: 'attachment; filename="…"', schema: { type: 'string' } }
  },
  content: {
    'text/csv; charset=utf-8': { schema: { type: 'string' } },
    'application/x-ndjson': { schema: { type: 'string' } },
    'application/json': { schema: { type: 'string' } }
  }
}

export const ExportTicketReplySchema = Type.Object({
  success: Type.Literal(true),
  ticket: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
  url: Type.String({ description: 'GET it, with the same session (its cookie), within expires_in_seconds: the browser downloads the export as a file' }),
  expires_in_seconds: Type.Integer()
}, {
  description: 'A single-use ticket for the export: a link a browser can download',
  examples: [{ success: true, ticket: 'q3VdXh2kq0dFJx8m3e3m1nE0kGm5c6JtL2l0Y1Q9wZs', url: '/api/query/export/q3VdXh2kq0dFJx8m3e3m1nE0kGm5c6JtL2l0Y1Q9wZs', expires_in_seconds: 60 }]
})
