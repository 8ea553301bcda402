import { isUtf8 } from 'node:buffer'
import type { FieldPacket } from 'mysql2'
import { isBinaryField, isJsonField, isStringField } from './column-types.js'
import { ASCII_WEIGHT, charStart, jsonStringBytes } from './json-text.js'
import { geometryAsBytes } from './values.js'

/**
 * A value of a column declared longer than this (MEDIUMTEXT, LONGTEXT, JSON, a long expression
 * such as REPEAT's) is read as its bytes, not as a string: it is decoded only when it fits what is
 * left of the answer's budget (`weighsWithin`), and one that does not is cut from its bytes
 * (`cutLongText`). A 16 MB value would otherwise be decoded whole before the budget could cut
 * it, once per row, however small the answer it ends up in.
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
 * A long text value cut to `budget` bytes of JSON (quotes included), kept as its UTF-8 bytes:
 * the answer's writer escapes them straight into the answer (./answer-lane.ts), so the text is
 * neither decoded nor weighed before the answer is written, and no string of megabytes is made.
 * `JSON.stringify` (MCP's answers) writes the same text, decoded.
 */
export class LongText {
  constructor (readonly bytes: Buffer, readonly budget: number) {}

  toJSON (): string {
    return textWithin(this.bytes, this.budget)
  }
}

/**
 * A long text value that does not fit what is left of the answer (`budget` bytes of JSON, quotes
 * included), cut to fit it: a `LongText` when its first `budget` bytes are UTF-8 (checked
 * natively); otherwise decoded here as far as the budget holds, a byte that is not UTF-8 as U+FFFD.
 * A `LongText` keeps a copy of the bytes it may write (at most the budget's), not a view of
 * mysql2's packet: the packet (the whole row, 16 MB for a 16 MB value) is then free once the row
 * is read, while the answer is written.
 */
export function cutLongText (bytes: Buffer, budget: number): LongText | string {
  // Each byte weighs at least one byte of JSON: no more than the budget's bytes can be written.
  const end = charStart(bytes, Math.min(bytes.length, Math.max(0, budget - 2)))
  const text = bytes.subarray(0, end)
  return isUtf8(text) ? new LongText(Buffer.from(text), budget) : textWithin(bytes, budget)
}

/**
 * Whether a long value's text weighs at most `limit` bytes of JSON (its quotes not counted), read
 * from its UTF-8 bytes: a byte of a multi-byte character weighs one (JSON writes such characters as
 * they are), an ASCII one what its escape takes. A value longer than `limit` bytes weighs more
 * without being read; otherwise the count stops as soon as it passes `limit`.
 */
export function weighsWithin (bytes: Buffer, limit: number): boolean {
  return bytes.length <= limit && bytesWithin(bytes, limit) === bytes.length
}

/**
 * How many of `bytes`' first bytes weigh at most `limit` bytes of JSON together, weighed as in
 * `weighsWithin`: the count stops at the first byte that would pass it.
 */
function bytesWithin (bytes: Buffer, limit: number): number {
  let weight = 0
  let end = 0
  for (; end < bytes.length; end++) {
    const byte = bytes[end]!
    weight += byte < 0x80 ? ASCII_WEIGHT[byte]! : 1
    if (weight > limit) break
  }
  return end
}

/**
 * The longest beginning of a long value's text that weighs at most `budget` bytes of JSON, quotes
 * included, decoded from its bytes and nothing more: a 16 MB value of control characters is read
 * for its first 1.4 MB under an 8 MiB budget. The cut falls between characters. A byte that is not
 * UTF-8 decodes as U+FFFD, which weighs three: text with one is weighed again as text.
 */
export function textWithin (bytes: Buffer, budget: number): string {
  const end = charStart(bytes, bytesWithin(bytes, budget - 2))
  const text = bytes.toString('utf8', 0, end)
  return text.includes('\ufffd') ? text.slice(0, jsonStringBytes(text, budget).fits) : text
}
