import type { FieldPacket } from 'mysql2'
import { ASCII_WEIGHT } from './answer-size.js'
import { isBinaryField, isJsonField, isStringField } from './column-types.js'
import { geometryAsBytes } from './values.js'

/**
 * A value of a column declared longer than this (MEDIUMTEXT, LONGTEXT, JSON, a long expression
 * such as REPEAT's) is read as its bytes, not as a string: the answer decodes only as much of it
 * as its budget can hold (`decodeWithin`). A 16 MB value would otherwise be decoded whole
 * before the budget could cut it, once per row, however small the answer it ends up in.
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

/**
 * UTF-8 `bytes` as text, only as far as its JSON weight reaches `limit`: a value that weighs more
 * is decoded up to the first character boundary past that point. The weight is read from the
 * bytes (a byte of a multi-byte character weighs one: JSON writes such characters as they are), so
 * a 16 MB value of control characters is decoded for its first 1.4 MB under an 8 MiB budget, not
 * its first 8 MB. A byte that is not UTF-8 (decoded as U+FFFD, three bytes) is counted as one:
 * the count never exceeds the true weight, so the text decoded still weighs more than `limit`
 * whenever the value did, and the answer's budget cuts it exactly where it would have cut the
 * whole value. `whole` says whether all of it was decoded.
 */
export function decodeWithin (bytes: Buffer, limit: number): { text: string, whole: boolean } {
  const length = bytes.length
  let weight = 0
  let end = 0
  while (end < length && weight <= limit) {
    const byte = bytes[end]!
    weight += byte < 0x80 ? ASCII_WEIGHT[byte]! : 1
    end++
  }
  if (weight <= limit) return { text: bytes.toString('utf8'), whole: true }
  while (end < length && (bytes[end]! & 0xc0) === 0x80) end++
  return { text: bytes.toString('utf8', 0, end), whole: end === length }
}
