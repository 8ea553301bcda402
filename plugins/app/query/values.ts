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
export type Convert = (value: unknown) => unknown

const FLOAT = 0x04
const TIMESTAMP = 0x07
const TIME = 0x0b
const DATETIME = 0x0c
const BIT = 0x10
const STRING_TYPES = new Set([0x0f, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe])

/**
 * A JSON value of a result, with its text as the database gave it. Parsed, a number beyond 2^53
 * loses digits ({"id": 9007199254740993} read as ...992), so the answer's writer
 * (plugins/app/query/query-json.ts) puts `text` in place; `JSON.stringify` (MCP's structured content) writes
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

/** A row of the answer: an array, or an object keyed by the columns' names. */
export type Row = unknown[] | Record<string, unknown>

export type RowConverter = (row: unknown[]) => Row

export interface ResultReader {
  /** The answer's row from the driver's array row (the same array, converted in place, for array answers). */
  convert: RowConverter
  /**
   * Object rows only: the columns' keys, when two columns share a name (`SELECT a.id, b.id`);
   * null when every key is the column's name.
   */
  keys: string[] | null
}

const GEOMETRY = 0xff

/**
 * The pool's typeCast (mysql2's public hook for reading a value its own way): a spatial value as
 * the bytes the server stored, which become GeoJSON (plugins/app/query/geometry.ts), where mysql2's own reading
 * keeps the coordinates only and loses which kind of geometry it was.
 */
export function geometryAsBytes (field: { type: string, buffer: () => Buffer | null }, next: () => unknown): unknown {
  return field.type === 'GEOMETRY' ? field.buffer() : next()
}

const toGeoJson: Convert = (value) => Buffer.isBuffer(value) ? geometryToGeoJson(value) ?? value.toString('base64') : value

/**
 * Object rows' keys when column names repeat, else null: a name that an earlier column has is
 * suffixed `_2`, `_3`, ... (the first suffix no column has). Keyed by the name alone, mysql2's
 * object row kept the last column's value, and `SELECT a.id, b.id` answered one `id`.
 */
export function uniqueKeys (names: readonly string[]): string[] | null {
  if (!hasRepeatedName(names)) return null
  const seen = new Set(names)
  const taken = new Set<string>()
  /**
   * Per repeated name, the suffix to try next, so that many columns of one name are keyed in
   * linear time (trying from _2 each time would be quadratic).
   */
  const next = new Map<string, number>()
  return names.map((name) => {
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
function hasRepeatedName (names: readonly string[]): boolean {
  if (names.length > 16) return new Set(names).size < names.length
  for (let i = 1; i < names.length; i++) {
    const name = names[i]!
    for (let j = 0; j < i; j++) if (names[j] === name) return true
  }
  return false
}

/**
 * How to read one result's rows, which the driver hands over as arrays (whatever the answer's
 * format, so no column name can clash with another or with an object's own keys): values of the
 * kinds that need a JSON form are converted in place, and object rows are built here, keyed by
 * `uniqueKeys`. `binary`: the rows come from a prepared statement (the binary protocol).
 */
export function resultReader (fields: FieldPacket[], named: readonly string[], rowsAsArray: boolean, binary = false): ResultReader {
  const keys = rowsAsArray ? null : uniqueKeys(named)
  const convert = typeConverter(fields, binary)
  if (rowsAsArray) return { convert: convert ?? asIs, keys }
  const names = keys ?? named
  const toObject = names.some((name) => name in Object.prototype) ? objectWithOwnNames(names) : objectOf(names)
  return { convert: convert === null ? toObject : (row) => toObject(convert(row) as unknown[]), keys }
}

const asIs: RowConverter = (row) => row

/** An object row with `names` as its keys, in order. */
function objectOf (names: readonly string[]): RowConverter {
  return (row) => {
    const out: Record<string, unknown> = {}
    for (let i = 0; i < names.length; i++) out[names[i]!] = row[i]
    return out
  }
}

/**
 * The same, for names an object already has (`__proto__`, `constructor`): assigned, `__proto__`
 * would set the object's prototype instead; defined, each is an own property, which
 * `JSON.stringify` writes.
 */
function objectWithOwnNames (names: readonly string[]): RowConverter {
  return (row) => {
    const out: Record<string, unknown> = {}
    for (let i = 0; i < names.length; i++) Object.defineProperty(out, names[i]!, { value: row[i], enumerable: true, writable: true, configurable: true })
    return out
  }
}

/** How a column's values are converted to their JSON form; null when the driver's value is it already. */
export function valueConverter (field: FieldPacket, binary: boolean): Convert | null {
  const type = field.columnType ?? field.type
  if (isJsonField(field)) return toJsonText
  if (type === FLOAT && binary) return toShortestFloat32
  if (binary && TIMES.has(type) && field.decimals >= 1 && field.decimals <= 6) return FRACTIONS[field.decimals - 1]!
  if (type === BIT) return bitToDecimal
  if (type === GEOMETRY) return toGeoJson
  if (type !== undefined && STRING_TYPES.has(type) && isBinaryField(field)) return toBase64
  return null
}

/** Converts the values of the columns whose kind needs a JSON form, in place; null when none does. */
function typeConverter (fields: FieldPacket[], binary: boolean): RowConverter | null {
  const plan: Array<[index: number, convert: Convert]> = []
  fields.forEach((field, index) => {
    const convert = valueConverter(field, binary)
    if (convert !== null) plan.push([index, convert])
  })
  if (plan.length === 0) return null
  return (row) => {
    for (const [index, convert] of plan) {
      const value = row[index]
      if (value !== null) row[index] = convert(value)
    }
    return row
  }
}
