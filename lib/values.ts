import { randomBytes } from 'node:crypto'
import type { FieldPacket } from 'mysql2'
import { isBinaryField, isJsonField } from './column-types.js'

/**
 * What the driver hands over is already exact for most types (BIGINT and DECIMAL as strings,
 * dates as text). Some kinds need a JSON form: binary strings (BINARY, VARBINARY, BLOB) arrive as
 * Buffers and become base64, BIT becomes its unsigned value as a decimal string, a JSON value
 * (its text: the pool sets mysql2's `jsonStrings`) becomes a `JsonText`, written into the answer
 * as the database stored it; a prepared statement's FLOAT becomes its shortest decimal, and its
 * times their column's number of fractional digits. The plan is made once per result; rows of a
 * result without such columns are not touched.
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

/**
 * Column names mysql2's row parsers refuse (its `privateObjectProps`): a result with one failed
 * with a fatal error, which closed the connection, for `SELECT 1 AS __proto__` or a table's column
 * of that name. `shieldFieldNames` renames such fields, in place and before mysql2 builds its
 * parser (on the `fields` event), to stand-ins no column can have (a NUL and a random tag); the row
 * converter puts the real names back on the rows, and `restoreFieldNames` on the fields.
 */
const REFUSED_NAMES = new Set(['__proto__', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__'])
const STAND_IN = `\u0000sqlgate:${randomBytes(6).toString('hex')}:`

/** Real names by stand-in. */
export type ShieldedNames = Map<string, string>

export function shieldFieldNames (fields: FieldPacket[]): ShieldedNames | null {
  let shielded: ShieldedNames | null = null
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!
    if (!REFUSED_NAMES.has(field.name)) continue
    shielded ??= new Map()
    const standIn = STAND_IN + i
    shielded.set(standIn, field.name)
    field.name = standIn
  }
  return shielded
}

export function restoreFieldNames (fields: FieldPacket[], shielded: ShieldedNames): void {
  for (const field of fields) field.name = shielded.get(field.name) ?? field.name
}

/**
 * An object row with the real names back, in the row's own order (mysql2's: a duplicate name
 * where it first came, with the last value). Assigned, `__proto__` would set the object's
 * prototype instead: it is defined as an own property, which `JSON.stringify` writes.
 */
function unshield (shielded: ShieldedNames): RowConverter {
  return (row) => {
    const record = row as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(record)) {
      const name = shielded.get(key)
      if (name === undefined) out[key] = record[key]
      else Object.defineProperty(out, name, { value: record[key], enumerable: true, writable: true, configurable: true })
    }
    return out
  }
}

/**
 * `binary`: the rows come from a prepared statement (the binary protocol). `shielded`: the
 * fields' refused names, renamed by `shieldFieldNames` (their rows' keys are the stand-ins).
 */
export function rowConverter (fields: FieldPacket[], rowsAsArray: boolean, binary = false, shielded: ShieldedNames | null = null): RowConverter | null {
  const convert = typeConverter(fields, rowsAsArray, binary)
  if (shielded === null || rowsAsArray) return convert
  const rename = unshield(shielded)
  return convert === null ? rename : (row) => rename(convert(row))
}

function typeConverter (fields: FieldPacket[], rowsAsArray: boolean, binary: boolean): RowConverter | null {
  const plan: Array<[index: number, name: string, convert: Convert]> = []
  fields.forEach((field, index) => {
    const type = field.columnType ?? field.type
    if (isJsonField(field)) plan.push([index, field.name, toJsonText])
    else if (type === FLOAT && binary) plan.push([index, field.name, toShortestFloat32])
    else if (binary && TIMES.has(type) && field.decimals >= 1 && field.decimals <= 6) plan.push([index, field.name, FRACTIONS[field.decimals - 1]!])
    else if (type === BIT) plan.push([index, field.name, bitToDecimal])
    else if (type !== undefined && STRING_TYPES.has(type) && isBinaryField(field)) plan.push([index, field.name, toBase64])
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
