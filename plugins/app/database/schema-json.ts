import type { Static } from '@sinclair/typebox'
import type { SchemaReplySchema, TableSchema } from '../../../schemas/database.js'
import { jsonNumber, jsonString } from '../query/json-text.js'
import { PIECE_CHARS } from '../query/query-json.js'

export type SchemaReply = Static<typeof SchemaReplySchema>

/** One table as JSON: its fields, its columns' and its foreign keys' in the schema's order, as the response schema's serializer writes them. */
function tableJson (table: TableSchema): string {
  let out = '{"name":' + jsonString(table.name) + ',"type":' + jsonString(table.type) + ',"comment":' + jsonString(table.comment) + ',"columns":['
  for (let i = 0; i < table.columns.length; i++) {
    const column = table.columns[i]!
    out += (i === 0 ? '{"name":' : ',{"name":') + jsonString(column.name) + ',"type":' + jsonString(column.type) +
      ',"nullable":' + (column.nullable ? 'true' : 'false') + ',"key":' + jsonString(column.key) +
      ',"default":' + (column.default === null ? 'null' : jsonString(column.default)) + ',"comment":' + jsonString(column.comment) + '}'
  }
  out += '],"foreign_keys":['
  for (let i = 0; i < table.foreign_keys.length; i++) {
    const { name, columns, references } = table.foreign_keys[i]!
    out += (i === 0 ? '{"name":' : ',{"name":') + jsonString(name) + ',"columns":' + stringsJson(columns) +
      ',"references":{"database":' + jsonString(references.database) + ',"table":' + jsonString(references.table) + ',"columns":' + stringsJson(references.columns) + '}}'
  }
  return out + ']}'
}

const stringsJson = (strings: readonly string[]): string => '[' + strings.map(jsonString).join(',') + ']'

/**
 * A schema answer's JSON text (GET /api/database/schema, MCP's describe_schema) in pieces of about
 * PIECE_CHARS characters, for the answer lane (../query/answer-lane.ts): a database of a thousand
 * tables of forty columns is megabytes, and written at once (with the garbage it makes collected)
 * it held every other request for 150 to 290 ms. Together the pieces are what the response
 * schema's serializer writes: the schema's fields in its order.
 */
export function * schemaReplyPieces (reply: SchemaReply): Generator<string, void, undefined> {
  let out = '{"success":true,"session_id":' + jsonString(reply.session_id) + ',"database_name":' + jsonString(reply.database_name) + ',"tables":['
  for (let i = 0; i < reply.tables.length; i++) {
    out += (i === 0 ? '' : ',') + tableJson(reply.tables[i]!)
    if (out.length >= PIECE_CHARS) {
      yield out
      out = ''
    }
  }
  yield out + '],"total_tables":' + jsonNumber(reply.total_tables) + '}'
}
