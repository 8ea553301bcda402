import type { FieldPacket } from 'mysql2'
import { isStringField } from './column-types.js'
import { jsonStringBytes } from './json-text.js'
import { cutLongText } from './long-values.js'

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
 * cut from its bytes to what is left (`cutLongText`). Returns the row and the names (or indexes, for array
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
      values[i] = cutLongText(value, Math.max(left, 2))
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
    // is a string here only when it fit what was left of the budget (a longer one is still bytes,
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
