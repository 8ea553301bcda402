import type { FieldPacket } from 'mysql2'
import { isStringField } from './column-types.js'

/**
 * What a row weighs in the answer's JSON (counted until it passes `limit`), as mysql2 hands it over (before conversion): strings as
 * `JSON.stringify` writes them (a control character is six bytes, `"` and `\` two, other
 * characters their UTF-8 length), binary values as base64, an object row's keys too. The answer's
 * budget (QUERY_MAX_RESULT_BYTES) is counted in it, so no text can make an answer far larger on
 * the wire than the budget says.
 */
export function rowSize (row: unknown, limit = Infinity): number {
  let size = 2
  if (Array.isArray(row)) {
    for (let i = 0; i < row.length && size <= limit; i++) size += valueSize(row[i], limit - size) + 1
    return size
  }
  const record = row as Record<string, unknown>
  for (const key in record) {
    if (size > limit) break
    size += key.length + 4 + valueSize(record[key], limit - size)
  }
  return size
}

/** A value's weight; a string's is counted only until it passes `limit` (a 16 MB value is not read through). */
function valueSize (value: unknown, limit: number): number {
  if (typeof value === 'string') return jsonStringBytes(value, limit).bytes
  if (value === null || typeof value !== 'object') return 8
  if (Buffer.isBuffer(value)) return Math.ceil(value.length / 3) * 4 + 2
  if (Array.isArray(value)) return value.length * 8 + 2 // a VECTOR's numbers
  return 16
}

/** What each ASCII character weighs in a JSON string: six for a control character written `\u00XX`, two for one with a short escape and for `"` and `\`, one for the rest. */
export const ASCII_WEIGHT = Uint8Array.from({ length: 128 }, (_, code) =>
  code === 8 || code === 9 || code === 10 || code === 12 || code === 13 || code === 0x22 || code === 0x5c ? 2 : code < 0x20 ? 6 : 1)

/** Printable ASCII other than `"` and `\`: one byte each in JSON, the common case, checked natively. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

/**
 * The bytes of `text` written as a JSON string (quotes included), counted until they pass `limit`:
 * then `fits` is how many characters fit within it.
 */
export function jsonStringBytes (text: string, limit: number): { bytes: number, fits: number } {
  if (PLAIN.test(text)) {
    if (text.length + 2 <= limit) return { bytes: text.length + 2, fits: text.length }
    // What the loop below finds for plain text, without walking megabytes of it.
    return { bytes: Math.max(limit + 1, 3), fits: Math.max(0, limit - 2) }
  }
  let bytes = 2
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    let size: number
    if (code < 0x80) size = ASCII_WEIGHT[code]!
    else if (code < 0x800) size = 2
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      if (bytes + 4 > limit) return { bytes: bytes + 4, fits: i }
      bytes += 4
      i++
      continue
    } else if (code >= 0xd800 && code <= 0xdfff) size = 6 // a lone surrogate, escaped
    else size = 3
    if (bytes + size > limit) return { bytes: bytes + size, fits: i }
    bytes += size
  }
  return { bytes, fits: text.length }
}

/**
 * Which columns of a result may be cut: text and binary strings, JSON (a cut JSON value is left
 * as text); not a spatial value or BIT, whose bytes must stay whole to be read. Read from the
 * fields as the server sent them, before plugins/app/query/values.ts prepares them for mysql2's parser.
 */
export function cuttableColumns (fields: readonly FieldPacket[]): boolean[] {
  return fields.map(isStringField)
}

/**
 * A row whose values together weigh more than `budget`, cut to fit it: its cuttable values are
 * shortened, in column order, to what is left of the budget. A value at one of `longText`'s
 * indexes that is still bytes is text too long to have been decoded (./long-values.ts): it is
 * decoded as far as what is left holds. Returns the row and the names (or indexes, for array
 * rows) of the columns cut.
 */
export function cutToFit (row: unknown, names: readonly string[], cuttable: readonly boolean[], longText: readonly number[], budget: number): { row: unknown, cut: string[] } {
  const values = Array.isArray(row) ? [...row] : Object.values(row as Record<string, unknown>)
  const keys = Array.isArray(row) ? null : Object.keys(row as Record<string, unknown>)
  let left = budget - 2 - values.length - (keys === null ? 0 : keys.reduce((sum, key) => sum + key.length + 3, 0))
  const cut: string[] = []
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    if (Buffer.isBuffer(value) && longText.includes(i)) {
      values[i] = textWithin(value, Math.max(left, 2))
      cut.push(names[i] ?? String(i))
      left = 0
      continue
    }
    const weight = typeof value === 'string' ? jsonStringBytes(value, Math.max(left, 2)) : { bytes: valueSize(value, Math.max(left, 0)), fits: 0 }
    if (weight.bytes <= left || cuttable[i] !== true) {
      left = Math.max(0, left - weight.bytes)
      continue
    }
    // A slice keeps the value it is cut from in memory until the answer has gone out: a long value
    // is decoded here only when it fits what was left of the budget (a longer one is still bytes,
    // above), and a shorter column holds at most the 1 MiB it is declared to.
    if (typeof value === 'string') values[i] = value.slice(0, weight.fits)
    else if (Buffer.isBuffer(value)) values[i] = value.subarray(0, Math.max(0, Math.floor((left - 2) / 4) * 3))
    else continue
    cut.push(names[i] ?? String(i))
    left = 0
  }
  if (keys === null) return { row: values, cut }
  return { row: Object.fromEntries(keys.map((key, i) => [key, values[i]])), cut }
}

/**
 * Whether a long value's text weighs at most `limit` bytes of JSON (its quotes not counted), read
 * from its UTF-8 bytes: a byte of a multi-byte character weighs one (JSON writes such characters as
 * they are), an ASCII one what its escape takes. A value longer than `limit` bytes weighs more
 * without being read; otherwise the count stops as soon as it passes `limit`.
 */
export function weighsWithin (bytes: Buffer, limit: number): boolean {
  if (bytes.length > limit) return false
  let weight = 0
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!
    weight += byte < 0x80 ? ASCII_WEIGHT[byte]! : 1
    if (weight > limit) return false
  }
  return true
}

/**
 * The longest beginning of a long value's text that weighs at most `budget` bytes of JSON, quotes
 * included, decoded from its bytes and nothing more: a 16 MB value of control characters is read
 * for its first 1.4 MB under an 8 MiB budget. The cut falls between characters. A byte that is not
 * UTF-8 decodes as U+FFFD, which weighs three: text with one is weighed again as text.
 */
export function textWithin (bytes: Buffer, budget: number): string {
  let weight = 2
  let end = 0
  for (; end < bytes.length; end++) {
    const byte = bytes[end]!
    const size = byte < 0x80 ? ASCII_WEIGHT[byte]! : 1
    if (weight + size > budget) break
    weight += size
  }
  if (end < bytes.length) while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--
  const text = bytes.toString('utf8', 0, end)
  return text.includes('\ufffd') ? text.slice(0, jsonStringBytes(text, budget).fits) : text
}
