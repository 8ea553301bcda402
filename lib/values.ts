import { randomBytes } from 'node:crypto'
import type { FieldPacket } from 'mysql2'
import { isBinaryField, isJsonField } from './column-types.js'
import { geometryToGeoJson } from './geometry.js'

/**
 * What the driver hands over is already exact for most types (BIGINT and DECIMAL as strings,
 * dates as text). Some kinds need a JSON form: binary strings (BINARY, VARBINARY, BLOB) arrive as
 * Buffers and become base64, BIT becomes its unsigned value as a decimal string, a JSON value
 * (its text: the pool sets mysql2's `jsonStrings`) becomes a `JsonText`, written into the answer
 * as the database stored it; a spatial value becomes GeoJSON (see `resultReader`); a prepared
 * statement's FLOAT becomes its shortest decimal, and its times their column's number of
 * fractional digits. The plan is made once per result; rows of a result without such columns are
 * not touched.
 */
type Convert = (value: unknown) => unknown

const FLOAT = 0x04
const TIMESTAMP = 0x07
const TIME = 0x0b
const DATETIME = 0x0c
const BIT = 0x10
const STRING_TYPES = new Set([0x0f, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe])

/**
 * A JSON value of a result, with its text as the database gave it. Parsed, a number beyond 2^53
 * loses digits ({"id": 9007199254740993} read as ...992), so the answer's writer
 * (lib/query-json.ts) puts `text` in place; `JSON.stringify` (MCP's structured content) writes
 * the parsed value.
 */
export class JsonText {
  constructor (readonly text: string, readonly value: unknown) {}
  toJSON (): unknown {
    return this.value
  }
}

const toBase64: Convert = (value) => Buffer.isBuffer(value) ? value.toString('base64') : value
const bitToDecimal: Convert = (value) => !Buffer.isBuffer(value) ? value : value.length === 0 ? '0' : BigInt(`0x${value.toString('hex')}`).toString()
/**
 * A FLOAT of a prepared statement's result arrives as the float32 itself (0.3 as
 * 0.30000001192092896); the shortest decimal that is the same float32 (0.3) names the stored
 * value as exactly, and is what the same query without params answers (for values MariaDB's
 * six-digit text of a FLOAT can hold).
 */
const toShortestFloat32: Convert = (value) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value
  for (let digits = 1; digits < 9; digits++) {
    const shorter = Number(value.toPrecision(digits))
    if (Math.fround(shorter) === value) return shorter
  }
  return value // nine digits always name a float32: the value itself is as short
}

/**
 * A prepared statement's DATETIME, TIMESTAMP or TIME, as the same query without params gives it:
 * with the column's own number of fractional digits. mysql2 writes the binary protocol's fraction
 * its own way (none when it is zero, all six digits for a DATETIME, a TIME's half second as '.5'),
 * where the server writes the column's: '2024-01-01 00:00:00.000000', '100:00:00.500'.
 */
function withFraction (digits: number): Convert {
  return (value) => {
    if (typeof value !== 'string') return value
    const dot = value.indexOf('.')
    const fraction = dot === -1 ? '' : value.slice(dot + 1)
    if (fraction.length === digits) return value
    return (dot === -1 ? value : value.slice(0, dot)) + '.' + (fraction + '000000').slice(0, digits)
  }
}
const FRACTIONS = [1, 2, 3, 4, 5, 6].map(withFraction)
const TIMES = new Set<number | undefined>([DATETIME, TIMESTAMP, TIME])

/** Text that does not parse stays a string (a JSON column holds valid JSON; an expression may not). */
const toJsonText: Convert = (value) => {
  if (typeof value !== 'string') return value
  try {
    return new JsonText(value, JSON.parse(value))
  } catch {
    return value
  }
}

export type RowConverter = (row: unknown) => unknown

export interface ResultReader {
  /** The answer's row from mysql2's row, or null when they are the same. */
  convert: RowConverter | null
  /** Gives the fields back the names and types the server sent (what the answer's `columns` say). */
  restore: () => void
  /**
   * Object rows only: the columns' keys, when two columns share a name (`SELECT a.id, b.id`);
   * null when every key is the column's name.
   */
  keys: string[] | null
}

/**
 * Column names mysql2's row parsers refuse (its `privateObjectProps`): a result with one had
 * failed with a fatal error, which closed the connection, for `SELECT 1 AS __proto__` or a
 * table's column of that name.
 */
const REFUSED_NAMES = new Set(['__proto__', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__'])
/** No column is named so: a NUL and a random tag. */
const STAND_IN = `\u0000sqlgate:${randomBytes(6).toString('hex')}:`
const GEOMETRY = 0xff
const BLOB = 0xfc

const toGeoJson: Convert = (value) => Buffer.isBuffer(value) ? geometryToGeoJson(value) ?? value.toString('base64') : value
export const noRestore = (): void => {}
/** Most results (a point SELECT's): rows and fields as mysql2 gives them. */
const AS_IS: ResultReader = Object.freeze({ convert: null, restore: noRestore, keys: null })

/**
 * Object rows' keys when column names repeat, else null: a name that an earlier column has is
 * suffixed `_2`, `_3`, ... (the first suffix no column has). Keyed by the name alone, mysql2's
 * object row kept the last column's value, and `SELECT a.id, b.id` answered one `id`.
 */
export function uniqueKeys (fields: readonly FieldPacket[]): string[] | null {
  if (!hasRepeatedName(fields)) return null
  const seen = new Set(fields.map((field) => field.name))
  const taken = new Set<string>()
  /**
   * Per repeated name, the suffix to try next: linear, where trying from _2 each time was
   * quadratic (30,000 columns named `1` took 30 s).
   */
  const next = new Map<string, number>()
  return fields.map(({ name }) => {
    let key = name
    if (taken.has(key)) {
      // A suffix no key has yet and no column has as its own name.
      let n = next.get(name) ?? 2
      for (key = `${name}_${n}`; taken.has(key) || seen.has(key); key = `${name}_${++n}`);
      next.set(name, n + 1)
    }
    taken.add(key)
    return key
  })
}

/** Every query's result is looked at: a few columns without a Set (nothing allocated). */
function hasRepeatedName (fields: readonly FieldPacket[]): boolean {
  if (fields.length > 16) return new Set(fields.map((field) => field.name)).size < fields.length
  for (let i = 1; i < fields.length; i++) {
    const name = fields[i]!.name
    for (let j = 0; j < i; j++) if (fields[j]!.name === name) return true
  }
  return false
}

/**
 * How to read one result, called on its command's `fields` event: mysql2 builds the result's row
 * parser from the fields right after that event, and three kinds of field are changed in place for
 * it (`restore` changes them back):
 * - for object rows, a name an earlier column has is renamed to its key (`uniqueKeys`);
 * - a refused name is renamed to a stand-in; the converter gives object rows the real name back;
 * - a GEOMETRY is declared a BLOB, so the parser hands over the stored bytes, which become GeoJSON
 *   (lib/geometry.ts) instead of mysql2's coordinates-only reading.
 * `binary`: the rows come from a prepared statement (the binary protocol).
 */
export function resultReader (fields: FieldPacket[], rowsAsArray: boolean, binary = false): ResultReader {
  const keys = rowsAsArray ? null : uniqueKeys(fields)
  const convert = typeConverter(fields, rowsAsArray, keys, binary) // planned on the fields as the server sent them
  let changed: Array<[field: FieldPacket, name: string, columnType: number | undefined]> | null = null
  let standIns: Map<string, string> | null = null
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!
    const key = keys === null ? field.name : keys[i]!
    const refused = REFUSED_NAMES.has(key)
    if (!refused && field.columnType !== GEOMETRY && key === field.name) continue
    ;(changed ??= []).push([field, field.name, field.columnType])
    if (field.columnType === GEOMETRY) field.columnType = BLOB
    if (refused) {
      const standIn = STAND_IN + i
      ;(standIns ??= new Map()).set(standIn, key)
      field.name = standIn
    } else {
      field.name = key // a repeated name: mysql2's parser keys the row by the field's name
    }
  }
  if (changed === null) return convert === null ? AS_IS : { convert, restore: noRestore, keys }
  const restore = (): void => {
    for (const [field, name, columnType] of changed) {
      field.name = name
      field.columnType = columnType!
    }
  }
  if (standIns === null || rowsAsArray) return { convert, restore, keys }
  const rename = realNames(standIns)
  return { convert: convert === null ? rename : (row) => convert(rename(row)), restore, keys }
}

/**
 * An object row with the real names back (its keys: see `uniqueKeys`), in the row's own order.
 * Assigned, `__proto__` would set the object's prototype instead: it is defined as an own
 * property, which `JSON.stringify` writes.
 */
function realNames (standIns: Map<string, string>): RowConverter {
  return (row) => {
    const record = row as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(record)) {
      const name = standIns.get(key)
      if (name === undefined) out[key] = record[key]
      else Object.defineProperty(out, name, { value: record[key], enumerable: true, writable: true, configurable: true })
    }
    return out
  }
}

/** `keys`: object rows' keys where they are not the fields' names (see `uniqueKeys`). */
function typeConverter (fields: FieldPacket[], rowsAsArray: boolean, keys: string[] | null, binary: boolean): RowConverter | null {
  const plan: Array<[index: number, name: string, convert: Convert]> = []
  fields.forEach((field, index) => {
    const type = field.columnType ?? field.type
    const name = keys === null ? field.name : keys[index]!
    if (isJsonField(field)) plan.push([index, name, toJsonText])
    else if (type === FLOAT && binary) plan.push([index, name, toShortestFloat32])
    else if (binary && TIMES.has(type) && field.decimals >= 1 && field.decimals <= 6) plan.push([index, name, FRACTIONS[field.decimals - 1]!])
    else if (type === BIT) plan.push([index, name, bitToDecimal])
    else if (type === GEOMETRY) plan.push([index, name, toGeoJson])
    else if (type !== undefined && STRING_TYPES.has(type) && isBinaryField(field)) plan.push([index, name, toBase64])
  })
  if (plan.length === 0) return null
  return (row) => {
    const record = row as Record<string | number, unknown>
    for (const [index, name, convert] of plan) {
      const key = rowsAsArray ? index : name
      const value = record[key]
      if (value !== null) record[key] = convert(value)
    }
    return row
  }
}
