import type { FieldPacket } from 'mysql2'
import { isBinaryField, isJsonField, isStringField } from './column-types.js'
import { geometryAsBytes } from './values.js'

/**
 * A value of a column declared longer than this (MEDIUMTEXT, LONGTEXT, JSON, a long expression
 * such as REPEAT's) is read as its bytes, not as a string: the answer decodes only as much of it
 * as its budget can hold (./answer-size.ts: `weighsWithin`, `textWithin`). A 16 MB value would
 * otherwise be decoded whole before the budget could cut it, once per row, however small the
 * answer it ends up in.
 */
const LONG_DECLARED_BYTES = 1 << 20

/** mysql2's names (its typeCast's `field.type`) of the types whose value is text or bytes. */
const STRING_TYPE_NAMES = new Set(['VARCHAR', 'VAR_STRING', 'STRING', 'TINY_BLOB', 'BLOB', 'MEDIUM_BLOB', 'LONG_BLOB', 'JSON'])

/**
 * The typeCast of a client's statements (the query pool's, mysql2's public hook): a spatial value
 * as the stored bytes (./values.ts), and a value of a long-declared string column as its bytes, a
 * view of the packet that mysql2 read (no copy). ResultSets decodes the text ones within the
 * answer's budget; a binary one is what mysql2 would have handed over anyway.
 */
export function answerTypeCast (field: { type: string, length: number, buffer: () => Buffer | null }, next: () => unknown): unknown {
  if (field.length > LONG_DECLARED_BYTES && STRING_TYPE_NAMES.has(field.type)) return field.buffer()
  return geometryAsBytes(field, next)
}

/** The indexes of a result's text columns (not binary) whose values `answerTypeCast` reads as bytes. */
export function longTextColumns (fields: readonly FieldPacket[]): number[] {
  const indexes: number[] = []
  fields.forEach((field, index) => {
    const text = isStringField(field) && (isJsonField(field) || !isBinaryField(field))
    if (text && (field.columnLength ?? 0) > LONG_DECLARED_BYTES) indexes.push(index)
  })
  return indexes
}
