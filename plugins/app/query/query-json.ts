import type { QueryHistoryEntry, ResultColumn } from '../../../schemas/query.js'
import { jsonNumber, jsonString } from './json-text.js'
import { JsonText } from './values.js'

/**
 * The JSON text of a query's answer and of its history entry, written for their known shapes.
 *
 * The answer: fast-json-stringify (Fastify's serializer for the route's 200 schema) chose each
 * row's branch of the `rows` union (an object or an array) with Ajv, row by row, and then
 * serialized the row with `JSON.stringify` anyway: 470–700 µs for a 1,000-row answer, where this
 * takes 190 (the rows handed to `JSON.stringify` whole, the few fixed fields written directly,
 * short plain strings quoted without it: plugins/app/query/json-text.ts).
 * The text is what `JSON.stringify` writes for the schema's fields in the schema's order, absent
 * optional ones left out (test/plugins/app/query/query-json.test.ts); fields outside the schema are not written.
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
  truncated_values?: number | undefined
  truncated_columns?: string[] | undefined
  more_results?: Array<{ columns: ResultColumn[], rows: unknown[], row_count: number, truncated: boolean }> | undefined
  affected_rows?: number | undefined
  insert_id?: string | undefined
  warnings?: Array<{ level: string, code: number, message: string }> | undefined
  execution_time_ms: number
}

function columnsJson (columns: ResultColumn[]): string {
  let out = '['
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!
    out += (i === 0 ? '{"name":' : ',{"name":') + jsonString(column.name) + ',"type":' + jsonString(column.type) +
      (column.nullable === undefined ? '}' : column.nullable ? ',"nullable":true}' : ',"nullable":false}')
  }
  return out + ']'
}

/**
 * The rows: `JSON.stringify` of them, except that a result with JSON columns has its JSON values
 * written as the database's text (`JsonText`), so their numbers keep every digit.
 */
function rowsJson (columns: ResultColumn[], rows: unknown[]): string {
  if (!columns.some((column) => column.type === 'JSON')) return JSON.stringify(rows)
  let out = '['
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as unknown[] | Record<string, unknown>
    if (i > 0) out += ','
    if (Array.isArray(row)) {
      out += '['
      for (let j = 0; j < row.length; j++) out += (j === 0 ? '' : ',') + valueJson(row[j])
      out += ']'
    } else {
      let first = true
      out += '{'
      for (const key of Object.keys(row)) {
        out += (first ? '' : ',') + jsonString(key) + ':' + valueJson(row[key])
        first = false
      }
      out += '}'
    }
  }
  return out + ']'
}

const valueJson = (value: unknown): string => value instanceof JsonText ? value.text : JSON.stringify(value) ?? 'null'

function moreResultsJson (sets: NonNullable<QueryReply['more_results']>): string {
  let out = '['
  for (let i = 0; i < sets.length; i++) {
    const set = sets[i]!
    out += (i === 0 ? '{"columns":' : ',{"columns":') + columnsJson(set.columns) +
      ',"rows":' + rowsJson(set.columns, set.rows) +
      ',"row_count":' + jsonNumber(set.row_count) +
      ',"truncated":' + (set.truncated ? 'true' : 'false') + '}'
  }
  return out + ']'
}

export function queryReplyJson (reply: QueryReply): string {
  return '{"success":true,"query_id":' + jsonString(reply.query_id) +
    ',"session_id":' + jsonString(reply.session_id) +
    ',"database_name":' + jsonString(reply.database_name) +
    ',"columns":' + columnsJson(reply.columns) +
    ',"rows":' + rowsJson(reply.columns, reply.rows) +
    ',"row_count":' + jsonNumber(reply.row_count) +
    ',"truncated":' + (reply.truncated ? 'true' : 'false') +
    (reply.truncated_values === undefined ? '' : ',"truncated_values":' + jsonNumber(reply.truncated_values)) +
    (reply.truncated_columns === undefined ? '' : ',"truncated_columns":' + JSON.stringify(reply.truncated_columns)) +
    (reply.more_results === undefined ? '' : ',"more_results":' + moreResultsJson(reply.more_results)) +
    (reply.affected_rows === undefined ? '' : ',"affected_rows":' + jsonNumber(reply.affected_rows)) +
    (reply.insert_id === undefined ? '' : ',"insert_id":' + jsonString(reply.insert_id)) +
    (reply.warnings === undefined ? '' : ',"warnings":' + JSON.stringify(reply.warnings.map(({ level, code, message }) => ({ level, code, message })))) +
    ',"execution_time_ms":' + jsonNumber(reply.execution_time_ms) + '}'
}

export function historyEntryJson (entry: QueryHistoryEntry): string {
  return '{"query_id":' + jsonString(entry.query_id) +
    ',"query":' + JSON.stringify(entry.query) +
    ',"executed_at":' + jsonString(entry.executed_at) +
    ',"status":"' + (entry.status === 'ok' ? 'ok' : 'error') +
    '","error_code":' + (entry.error_code === null ? 'null' : jsonString(entry.error_code)) +
    ',"row_count":' + jsonNumber(entry.row_count) +
    ',"execution_time_ms":' + jsonNumber(entry.execution_time_ms) + '}'
}
