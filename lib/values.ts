import type { FieldPacket } from 'mysql2'
import { isBinaryField } from './column-types.js'

/**
 * What the driver hands over is already exact for most types (BIGINT and DECIMAL as strings,
 * dates as text, JSON parsed). Two kinds arrive as Buffers and need a JSON form: binary strings
 * (BINARY, VARBINARY, BLOB) become base64, BIT becomes its unsigned value as a decimal string.
 * The plan is made once per result; rows of a result without such columns are not touched.
 */
type Convert = (value: Buffer) => string

const BIT = 0x10
const STRING_TYPES = new Set([0x0f, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe])

const toBase64: Convert = (value) => value.toString('base64')
const bitToDecimal: Convert = (value) => value.length === 0 ? '0' : BigInt(`0x${value.toString('hex')}`).toString()

export type RowConverter = (row: unknown) => unknown

export function rowConverter (fields: FieldPacket[], rowsAsArray: boolean): RowConverter | null {
  const plan: Array<[index: number, name: string, convert: Convert]> = []
  fields.forEach((field, index) => {
    const type = field.columnType ?? field.type
    if (type === BIT) plan.push([index, field.name, bitToDecimal])
    else if (type !== undefined && STRING_TYPES.has(type) && isBinaryField(field)) plan.push([index, field.name, toBase64])
  })
  if (plan.length === 0) return null
  return (row) => {
    const record = row as Record<string | number, unknown>
    for (const [index, name, convert] of plan) {
      const key = rowsAsArray ? index : name
      const value = record[key]
      if (Buffer.isBuffer(value)) record[key] = convert(value)
    }
    return row
  }
}
