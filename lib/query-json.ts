import type { QueryHistoryEntry, ResultColumn } from '../schemas/query.js'

/**
 * The JSON text of a query's answer and of its history entry, written for their known shapes.
 *
 * The answer: fast-json-stringify (Fastify's serializer for the route's 200 schema) chose each
 * row's branch of the `rows` union (an object or an array) with Ajv, row by row, and then
 * serialized the row with `JSON.stringify` anyway: 470–700 µs for a 1,000-row answer, where this
 * takes 190 (the rows handed to `JSON.stringify` whole, the few fixed fields written directly).
 * The text is what `JSON.stringify` writes for the schema's fields in the schema's order, absent
 * optional ones left out (test/lib/query-json.test.ts); fields outside the schema are not written.
 *
 * The history entry: `JSON.stringify` of the entry object took 0.7 µs (V8 looks each property up
 * for a `toJSON` on the way), this 0.34; only the statement itself goes through `JSON.stringify`.
 */
export interface QueryReply {
  success: true
  query_id: string
  session_id: string
  database_name: string
  columns: ResultColumn[]
  rows: unknown[]
  row_count: number
  truncated: boolean
  affected_rows?: number | undefined
  execution_time_ms: number
}

/** A number as JSON writes it (non-finite numbers are `null`). */
function num (value: number): string {
  return Number.isFinite(value) ? String(value) : 'null'
}

/**
 * A string as JSON writes it. A short string with nothing to escape (ids, names, type names) is
 * quoted as it is, without a call into `JSON.stringify` (about 100 ns each); anything else (a
 * control character, a quote, a backslash, a lone surrogate's half) goes through it.
 */
function str (value: string): string {
  if (value.length > 64) return JSON.stringify(value)
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) return JSON.stringify(value)
  }
  return '"' + value + '"'
}

function columnsJson (columns: ResultColumn[]): string {
  let out = '['
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!
    out += (i === 0 ? '{"name":' : ',{"name":') + str(column.name) + ',"type":' + str(column.type) +
      (column.nullable === undefined ? '}' : column.nullable ? ',"nullable":true}' : ',"nullable":false}')
  }
  return out + ']'
}

export function queryReplyJson (reply: QueryReply): string {
  return '{"success":true,"query_id":' + str(reply.query_id) +
    ',"session_id":' + str(reply.session_id) +
    ',"database_name":' + str(reply.database_name) +
    ',"columns":' + columnsJson(reply.columns) +
    ',"rows":' + JSON.stringify(reply.rows) +
    ',"row_count":' + num(reply.row_count) +
    ',"truncated":' + (reply.truncated ? 'true' : 'false') +
    (reply.affected_rows === undefined ? '' : ',"affected_rows":' + num(reply.affected_rows)) +
    ',"execution_time_ms":' + num(reply.execution_time_ms) + '}'
}

export function historyEntryJson (entry: QueryHistoryEntry): string {
  return '{"query_id":' + str(entry.query_id) +
    ',"query":' + JSON.stringify(entry.query) +
    ',"executed_at":' + str(entry.executed_at) +
    ',"status":"' + (entry.status === 'ok' ? 'ok' : 'error') +
    '","error_code":' + (entry.error_code === null ? 'null' : str(entry.error_code)) +
    ',"row_count":' + num(entry.row_count) +
    ',"execution_time_ms":' + num(entry.execution_time_ms) + '}'
}
