import type { QueryHistoryEntry, QueryReply, ResultColumn } from '../../../schemas/query.js'
import { jsonNumber, jsonString } from './json-text.js'
import { LongText } from './long-values.js'
import { JsonText } from './values.js'

/**
 * The JSON text of a query's answer and of its history entry, written for their known shapes:
 * the few fixed fields directly, short plain strings quoted without `JSON.stringify`
 * (./json-text.ts), the rows handed to `JSON.stringify` whole. Fastify's serializer would check
 * each row against the `rows` union with Ajv first, which costs more than writing it
 * (docs/performance.md). The text is what `JSON.stringify` writes for the schema's fields in the
 * schema's order, absent optional ones left out (test/plugins/app/query/query-json.test.ts);
 * fields outside the schema are not written. An object row's keys are in its columns' order, as
 * an export writes them, also where `JSON.stringify` would put integer-like ones first.
 */

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
 * written as the database's text (`JsonText`), so their numbers keep every digit, and that object
 * rows with a column named like an array index are written key by key (`orderedKeys`).
 */
function rowsJson (columns: ResultColumn[], rows: unknown[]): string {
  const withJson = columns.some((column) => column.type === 'JSON')
  const keys = orderedKeys(columns, rows)
  if (!withJson && keys === null) return JSON.stringify(rows)
  let out = '['
  for (let i = 0; i < rows.length; i++) out += (i === 0 ? '' : ',') + rowJson(rows[i] as unknown[] | Record<string, unknown>, withJson, keys)
  return out + ']'
}

/** A canonical array index (0 to 2^32 - 2), which JavaScript enumerates before an object's other keys. */
const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/
const isArrayIndex = (name: string): boolean => ARRAY_INDEX.test(name) && Number(name) < 4294967295

/**
 * The keys of object rows in the columns' order, when their own order differs from it: JavaScript
 * enumerates integer-like keys (a pivot's `2023`, `2024`) first, in numeric order, so
 * `JSON.stringify` of such a row would move them before the others, where an export and the
 * `columns` keep the select list's order. Null when no column is named so, or the rows are arrays.
 */
function orderedKeys (columns: ResultColumn[], rows: unknown[]): string[] | null {
  if (rows.length === 0 || Array.isArray(rows[0]) || !columns.some((column) => isArrayIndex(column.name))) return null
  return columns.map((column) => column.name)
}

const valueJson = (value: unknown): string => value instanceof JsonText ? value.text : JSON.stringify(value) ?? 'null'

/** One row, as `rowsJson` writes it: value by value when it has JSON columns or `keys` to keep in order. */
function rowJson (row: unknown[] | Record<string, unknown>, withJson: boolean, keys: readonly string[] | null): string {
  if (!withJson && keys === null) return JSON.stringify(row)
  let out = ''
  if (Array.isArray(row)) {
    for (let j = 0; j < row.length; j++) out += (j === 0 ? '' : ',') + valueJson(row[j])
    return '[' + out + ']'
  }
  for (const key of keys ?? Object.keys(row)) out += (out === '' ? '' : ',') + jsonString(key) + ':' + valueJson(row[key])
  return '{' + out + '}'
}

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

/** The answer's fields before its rows. */
function replyHead (reply: QueryReply): string {
  return '{"success":true,"query_id":' + jsonString(reply.query_id) +
    ',"session_id":' + jsonString(reply.session_id) +
    ',"database_name":' + jsonString(reply.database_name) +
    ',"columns":' + columnsJson(reply.columns) +
    ',"rows":'
}

/** The answer's fields after its rows. */
function replyTail (reply: QueryReply): string {
  return ',"row_count":' + jsonNumber(reply.row_count) +
    ',"truncated":' + (reply.truncated ? 'true' : 'false') +
    (reply.truncated_values === undefined ? '' : ',"truncated_values":' + jsonNumber(reply.truncated_values)) +
    (reply.truncated_columns === undefined ? '' : ',"truncated_columns":' + JSON.stringify(reply.truncated_columns)) +
    (reply.more_results === undefined ? '' : ',"more_results":' + moreResultsJson(reply.more_results)) +
    (reply.affected_rows === undefined ? '' : ',"affected_rows":' + jsonNumber(reply.affected_rows)) +
    (reply.insert_id === undefined ? '' : ',"insert_id":' + jsonString(reply.insert_id)) +
    (reply.warnings === undefined ? '' : ',"warnings":' + JSON.stringify(reply.warnings.map(({ level, code, message }) => ({ level, code, message })))) +
    ',"execution_time_ms":' + jsonNumber(reply.execution_time_ms) + '}'
}

export function queryReplyJson (reply: QueryReply): string {
  return replyHead(reply) + rowsJson(reply.columns, reply.rows) + replyTail(reply)
}

/** About how many characters of text each piece of `queryReplyPieces` holds. */
export const PIECE_CHARS = 64 * 1024

/**
 * The answer's JSON text in pieces of about PIECE_CHARS characters: together exactly
 * `queryReplyJson(reply)`, each a bounded amount of work to write. Rows are written whole, except
 * that a string value longer than a piece is written in pieces of its own, never splitting a
 * surrogate pair, and a long text cut from its bytes (`LongText`) is a piece of its own, between
 * its quotes, for the writer to escape from its bytes. A small answer is one piece. The rows of
 * `more_results` are written with the tail, whole.
 */
export function * queryReplyPieces (reply: QueryReply): Generator<string | LongText, void, undefined> {
  const withJson = reply.columns.some((column) => column.type === 'JSON')
  const rows = reply.rows as Array<unknown[] | Record<string, unknown>>
  const ordered = orderedKeys(reply.columns, rows)
  let out = replyHead(reply) + '['
  for (let i = 0; i < rows.length; i++) {
    if (i > 0) out += ','
    const row = rows[i]!
    if (!hasLongString(row)) {
      out += rowJson(row, withJson, ordered)
    } else {
      const keys = Array.isArray(row) ? null : ordered ?? Object.keys(row)
      const values = keys === null ? row as unknown[] : keys.map((key) => (row as Record<string, unknown>)[key])
      out += keys === null ? '[' : '{'
      for (let j = 0; j < values.length; j++) {
        if (j > 0) out += ','
        if (keys !== null) out += jsonString(keys[j]!) + ':'
        const value = values[j]
        if (value instanceof LongText) {
          yield out + '"'
          yield value
          out = '"'
          continue
        }
        if (typeof value !== 'string' || value.length <= PIECE_CHARS) {
          out += valueJson(value)
          continue
        }
        out += '"'
        for (let from = 0; from < value.length;) {
          let to = Math.min(value.length, from + PIECE_CHARS)
          if (to < value.length && (value.charCodeAt(to - 1) & 0xfc00) === 0xd800) to--
          const escaped = JSON.stringify(value.slice(from, to))
          out += escaped.slice(1, -1)
          yield out
          out = ''
          from = to
        }
        out += '"'
      }
      out += keys === null ? ']' : '}'
    }
    if (out.length >= PIECE_CHARS) {
      yield out
      out = ''
    }
  }
  yield out + ']' + replyTail(reply)
}

function hasLongString (row: unknown[] | Record<string, unknown>): boolean {
  if (Array.isArray(row)) {
    for (let j = 0; j < row.length; j++) if (isLongString(row[j])) return true
    return false
  }
  for (const key in row) if (isLongString(row[key])) return true
  return false
}

const isLongString = (value: unknown): boolean => (typeof value === 'string' && value.length > PIECE_CHARS) || value instanceof LongText

export function historyEntryJson (entry: QueryHistoryEntry): string {
  return '{"query_id":' + jsonString(entry.query_id) +
    ',"query":' + JSON.stringify(entry.query) +
    (entry.query_truncated === true ? ',"query_truncated":true' : '') +
    ',"executed_at":' + jsonString(entry.executed_at) +
    ',"status":"' + (entry.status === 'ok' ? 'ok' : 'error') +
    '","error_code":' + (entry.error_code === null ? 'null' : jsonString(entry.error_code)) +
    ',"row_count":' + jsonNumber(entry.row_count) +
    ',"execution_time_ms":' + jsonNumber(entry.execution_time_ms) +
    (entry.truncated === undefined ? '' : ',"truncated":' + (entry.truncated ? 'true' : 'false')) +
    (entry.format === undefined ? '' : ',"format":' + jsonString(entry.format)) + '}'
}
