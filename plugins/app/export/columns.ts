import type { FieldPacket } from 'mysql2'
import { isBinaryField, isJsonField } from '../query/column-types.js'
import { uniqueKeys, valueConverter, type Convert } from '../query/values.js'

/**
 * How an export writes a column's values. Over the text protocol (a statement without params)
 * most values are taken as the bytes the server sent, which are already what `/api/query`
 * answers: `int` (TINYINT to MEDIUMINT, YEAR: a JSON number), `raw` (BIGINT, DECIMAL, dates and
 * times: digits and separators, a JSON string), `text` (a string in the connection's UTF-8),
 * `json` (a JSON value's text), `binary` (bytes, written as base64). Other kinds (FLOAT, DOUBLE,
 * BIT, spatial values, VECTOR) are `value`s: mysql2's value, converted as `/api/query` converts
 * it (../query/values.ts). A prepared statement's values (the binary protocol) are all `value`s.
 */
export type Kind = 'int' | 'raw' | 'text' | 'json' | 'binary' | 'value'

export interface ExportColumn {
  /** The name rows are keyed by: a repeated name suffixed as `/api/query` suffixes it. */
  key: string
  kind: Kind
  /** For a `value`: its conversion to the JSON form, if it needs one. */
  convert: Convert | null
}

const INT_TYPES = new Set([0x01, 0x02, 0x03, 0x09, 0x0d])
const RAW_TYPES = new Set([0x08, 0x00, 0xf6, 0x0a, 0x0e, 0x0c, 0x07, 0x0b])
const STRING_TYPES = new Set([0x0f, 0xfd, 0xfe, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc])

function textKind (field: FieldPacket): Kind {
  const type = field.columnType ?? field.type ?? -1
  if (isJsonField(field)) return 'json'
  if (INT_TYPES.has(type)) return 'int'
  if (RAW_TYPES.has(type)) return 'raw'
  if (STRING_TYPES.has(type)) return isBinaryField(field) ? 'binary' : 'text'
  return 'value'
}

/**
 * The columns of an export's result, named `names`; `binary`: its rows come from a prepared statement (mysql2's
 * values), else from the text protocol read without typeCast (every value the bytes sent).
 */
export function exportColumns (fields: readonly FieldPacket[], names: readonly string[], binary: boolean): ExportColumn[] {
  const keys = uniqueKeys(names) ?? names
  return fields.map((field, i) => {
    const kind = binary ? 'value' : textKind(field)
    if (kind !== 'value') return { key: keys[i]!, kind, convert: null }
    const convert = valueConverter(field, binary)
    const read = binary ? null : driverValue(field)
    return { key: keys[i]!, kind, convert: read === null ? convert : convert === null ? read : (bytes) => convert(read(bytes)) }
  })
}

/**
 * For a `value` column of the text protocol: the value mysql2 itself would have read from the
 * bytes (which the export takes unread: no typeCast), so that ../query/values.ts converts it as
 * `/api/query` does. Spatial values and BIT are the bytes themselves.
 */
function driverValue (field: FieldPacket): Convert | null {
  const type = field.columnType ?? field.type
  if (type === FLOAT || type === DOUBLE) return (bytes) => bytes instanceof Buffer ? parseTextFloat(bytes) : bytes
  if (type === VECTOR) return (bytes) => bytes instanceof Buffer ? Array.from({ length: bytes.length >> 2 }, (_, i) => bytes.readFloatLE(i * 4)) : bytes
  if (type === GEOMETRY || type === BIT || isBinaryField(field)) return null
  return (bytes) => bytes instanceof Buffer ? bytes.toString('utf8') : bytes
}

const FLOAT = 0x04
const DOUBLE = 0x05
const BIT = 0x10
const VECTOR = 0xf2
const GEOMETRY = 0xff

/**
 * A FLOAT or DOUBLE's text as mysql2 3.x reads it (its packet.parseFloat): short texts by digits,
 * which can round otherwise than `Number()` does, long and exponent ones by `parseFloat`. The same
 * reading keeps an export's numbers those of `/api/query` (test/routes/api/query/export-values.test.ts).
 */
export function parseTextFloat (bytes: Buffer): number {
  const len = bytes.length
  if (len === 0) return 0
  if (len > 17 || bytes.includes(0x65) || bytes.includes(0x45)) return Number.parseFloat(bytes.toString('latin1'))
  let at = 0
  let factor = 1
  let result = 0
  let pastDot = false
  if (bytes[at] === 0x2d) {
    at++
    factor = -1
  }
  if (bytes[at] === 0x2b) at++
  for (; at < len; at++) {
    const code = bytes[at]!
    if (code === 0x2e) {
      pastDot = true
      continue
    }
    result = result * 10 + (code - 48)
    if (pastDot) factor *= 10
  }
  return result / factor
}
