import type { FieldPacket } from 'mysql2'

/** Protocol type code → the SQL type name a user knows. */
const TYPE_NAMES: Record<number, string> = {
  0x00: 'DECIMAL',
  0x01: 'TINYINT',
  0x02: 'SMALLINT',
  0x03: 'INT',
  0x04: 'FLOAT',
  0x05: 'DOUBLE',
  0x06: 'NULL',
  0x07: 'TIMESTAMP',
  0x08: 'BIGINT',
  0x09: 'MEDIUMINT',
  0x0a: 'DATE',
  0x0b: 'TIME',
  0x0c: 'DATETIME',
  0x0d: 'YEAR',
  0x0e: 'DATE',
  0x0f: 'VARCHAR',
  0x10: 'BIT',
  0xf2: 'VECTOR',
  0xf5: 'JSON',
  0xf6: 'DECIMAL',
  0xf7: 'ENUM',
  0xf8: 'SET',
  0xf9: 'TINYBLOB',
  0xfa: 'MEDIUMBLOB',
  0xfb: 'LONGBLOB',
  0xfc: 'BLOB',
  0xfd: 'VARCHAR',
  0xfe: 'CHAR',
  0xff: 'GEOMETRY'
}

const TEXT_OF_BLOB: Record<string, string> = {
  TINYBLOB: 'TINYTEXT',
  MEDIUMBLOB: 'MEDIUMTEXT',
  LONGBLOB: 'LONGTEXT',
  BLOB: 'TEXT'
}

const BINARY_CHARSET = 63
const NOT_NULL_FLAG = 1
const ENUM_FLAG = 256
const SET_FLAG = 2048

export function isBinaryField (field: FieldPacket): boolean {
  return field.characterSet === BINARY_CHARSET
}

const JSON_TYPE = 0xf5

/** A JSON column or expression: MySQL's and TiDB's JSON type, or MariaDB's (LONGTEXT on the wire, marked json). */
export function isJsonField (field: FieldPacket): boolean {
  return field.extendedFormat === 'json' || (field.columnType ?? field.type) === JSON_TYPE
}

/** Types whose value is text or bytes as the database stored it: VARCHAR, the BLOBs, CHAR, and JSON (which is text). */
const STRING_TYPES = new Set([0x0f, 0xf5, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe])

/** A column of text or bytes (or JSON): not a number, a date, a spatial value or BIT. */
export function isStringField (field: FieldPacket): boolean {
  return isJsonField(field) || (STRING_TYPES.has(field.columnType ?? field.type ?? 0) && field.columnType !== 0xff)
}

/** The name of a result column's type, as precise as the protocol tells it. */
export function columnTypeName (field: FieldPacket): string {
  if (isJsonField(field)) return 'JSON'
  const code = field.columnType ?? field.type ?? 0xfd
  const flags = typeof field.flags === 'number' ? field.flags : 0
  if (flags & ENUM_FLAG) return 'ENUM'
  if (flags & SET_FLAG) return 'SET'
  const name = TYPE_NAMES[code] ?? 'UNKNOWN'
  // MariaDB's extended metadata names its own types (UUID, INET6, INET4) and a spatial column's
  // kind (POINT, LINESTRING, ...), which the protocol's code calls CHAR or GEOMETRY.
  if (typeof field.extendedTypeName === 'string' && /^[a-z][a-z0-9]*$/.test(field.extendedTypeName)) return field.extendedTypeName.toUpperCase()
  const binary = isBinaryField(field)
  if (name in TEXT_OF_BLOB) return binary ? name : TEXT_OF_BLOB[name]!
  if (name === 'VARCHAR' && binary) return 'VARBINARY'
  if (name === 'CHAR' && binary) return 'BINARY'
  return name
}

export function isNullableField (field: FieldPacket): boolean {
  const flags = typeof field.flags === 'number' ? field.flags : 0
  return (flags & NOT_NULL_FLAG) === 0
}
