import { isUtf8 } from 'node:buffer'
import type { Chunks } from './chunks.js'
import type { ExportColumn } from './columns.js'
import { intBytes, rawBytes } from './csv-rows.js'
import { writeAsciiEscape } from '../query/json-text.js'
import { JsonText } from '../query/values.js'

/**
 * Rows as JSON objects keyed as `/api/query`'s object rows, with its values, byte for byte what
 * `JSON.stringify` would write: one per line (NDJSON), or the elements of one array (`json`).
 */
export class JsonRows {
  /** Each column's `"key":`, with the comma before it for all but the first. */
  private readonly keys: Buffer[]
  private rows = 0

  constructor (private readonly out: Chunks, private readonly columns: readonly ExportColumn[], private readonly array: boolean) {
    this.keys = columns.map((column, i) => Buffer.from((i === 0 ? '{' : ',') + JSON.stringify(column.key) + ':'))
  }

  header (): void {
    if (this.array) this.out.ascii('[')
  }

  row (row: unknown[]): void {
    const out = this.out
    const columns = this.columns
    if (this.array && this.rows > 0) out.ascii(',\n')
    this.rows++
    if (columns.length === 0) out.ascii('{')
    for (let i = 0; i < columns.length; i++) {
      const key = this.keys[i]!
      out.room(key.length)
      out.copy(key)
      const value = row[i]
      if (value === null || value === undefined) {
        out.ascii('null')
        continue
      }
      const { kind, convert } = columns[i]!
      if (kind === 'value' || !(value instanceof Buffer)) jsonValue(out, convert === null ? value : convert(value))
      else if (kind === 'int') intBytes(out, value)
      else if (kind === 'raw') quotedRaw(out, value)
      else if (kind === 'binary') out.ascii('"' + value.toString('base64') + '"')
      else if (kind === 'json' && isJson(value)) rawBytes(out, value)
      else jsonText(out, value)
    }
    out.ascii(this.array ? '}' : '}\n')
  }

  /** After the last row: the array's end; for NDJSON, a last line when the rows were cut. */
  end (truncated: { rowCount: number, maxRows: number } | null): void {
    if (this.array) this.out.ascii(']\n')
    else if (truncated !== null) this.out.ascii(`{"_sqlgate_export":{"truncated":true,"row_count":${truncated.rowCount},"max_rows":${truncated.maxRows}}}\n`)
  }
}

function quotedRaw (out: Chunks, bytes: Buffer): void {
  out.room(bytes.length + 2)
  out.buf[out.at++] = 0x22
  out.copy(bytes)
  out.buf[out.at++] = 0x22
}

/** A JSON column's text that parses: written as it is, as `/api/query` writes it. */
function isJson (bytes: Buffer): boolean {
  try {
    JSON.parse(bytes.toString('utf8'))
    return isUtf8(bytes)
  } catch {
    return false
  }
}

/** A text value's UTF-8 bytes as a JSON string: quotes, backslashes and control characters escaped. */
function jsonText (out: Chunks, bytes: Buffer): void {
  const n = bytes.length
  out.room(6 * n + 2)
  const buf = out.buf
  const start = out.at
  let at = start
  let high = 0
  buf[at++] = 0x22
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!
    if (b >= 0x20 && b !== 0x22 && b !== 0x5c) {
      high |= b
      buf[at++] = b
      continue
    }
    at = writeAsciiEscape(buf, at, b)
  }
  buf[at++] = 0x22
  out.at = at
  // Text that is not valid UTF-8 is written as mysql2 decodes it (U+FFFD for what does not decode).
  if (high >= 0x80 && !isUtf8(bytes)) {
    out.at = start
    out.utf8(JSON.stringify(bytes.toString('utf8')))
  }
}

function jsonValue (out: Chunks, value: unknown): void {
  out.utf8(value instanceof JsonText ? value.text : JSON.stringify(value) ?? 'null')
}
