import { isUtf8 } from 'node:buffer'
import type { Chunks } from './chunks.js'
import type { ExportColumn } from './columns.js'
import { JsonText } from '../query/values.js'
import { safeBytes, safeString } from './formulas.js'

/**
 * Rows as CSV (RFC 4180): fields separated by commas, lines ended by CRLF, a field quoted when it
 * holds a comma, a quote, CR or LF, quotes inside doubled; NULL an empty field and the empty
 * string `""`. Values are the text of what `/api/query` answers for them (./columns.ts). With
 * `escapeFormulas`, a name or value a spreadsheet would run as a formula gets a leading apostrophe
 * (./formulas.ts); `int` and `raw` values are digits, signs and separators by the server's own
 * formatting, numbers, dates and times, never formulas.
 */
export class CsvRows {
  constructor (private readonly out: Chunks, private readonly columns: readonly ExportColumn[], private readonly escapeFormulas = false) {}

  header (): void {
    this.columns.forEach((column, i) => {
      if (i > 0) this.byte(0x2c)
      csvString(this.out, this.escapeFormulas ? safeString(column.key) : column.key)
    })
    this.lineEnd()
  }

  row (row: unknown[]): void {
    const out = this.out
    const columns = this.columns
    const guard = this.escapeFormulas
    for (let i = 0; i < columns.length; i++) {
      if (i > 0) this.byte(0x2c)
      const value = row[i]
      if (value === null || value === undefined) continue
      const { kind, convert } = columns[i]!
      if (kind === 'value' || !(value instanceof Buffer)) csvValue(out, convert === null ? value : convert(value), guard)
      else if (kind === 'raw') rawBytes(out, value)
      else if (kind === 'int') intBytes(out, value)
      else if (kind === 'binary') base64Field(out, value, guard)
      else csvText(out, guard ? safeBytes(value) : value)
    }
    this.lineEnd()
  }

  end (): void {}

  private byte (byte: number): void {
    this.out.room(1)
    this.out.buf[this.out.at++] = byte
  }

  private lineEnd (): void {
    const out = this.out
    out.room(2)
    out.buf[out.at++] = 0x0d
    out.buf[out.at++] = 0x0a
  }
}

/** Bytes that never need quoting (digits, signs, separators). */
export function rawBytes (out: Chunks, bytes: Buffer): void {
  out.room(bytes.length)
  out.copy(bytes)
}

/** An integer's digits; a ZEROFILL column's leading zeros dropped, as mysql2's number drops them. */
export function intBytes (out: Chunks, bytes: Buffer): void {
  if (bytes.length > 1 && bytes[0] === 0x30) out.ascii(String(Number(bytes.toString('latin1'))))
  else rawBytes(out, bytes)
}

/** A binary value as base64 (which may start with `+`), `""` when empty. */
function base64Field (out: Chunks, bytes: Buffer, guard: boolean): void {
  if (bytes.length === 0) return out.ascii('""')
  const text = bytes.toString('base64')
  out.ascii(guard ? safeString(text) : text)
}

/** A text value's UTF-8 bytes as a CSV field, quoted if it must be. */
function csvText (out: Chunks, bytes: Buffer): void {
  const n = bytes.length
  out.room(2 * n + 2)
  const buf = out.buf
  const start = out.at
  let at = start
  let high = 0
  // Copied as it is while nothing in it needs quoting; the empty string, or a byte that does,
  // starts it over, quoted.
  let plain = n > 0
  for (let i = 0; plain && i < n; i++) {
    const b = bytes[i]!
    if (b === 0x2c || b === 0x22 || b === 0x0d || b === 0x0a) {
      plain = false
    } else {
      high |= b
      buf[at++] = b
    }
  }
  if (!plain) {
    at = start
    buf[at++] = 0x22
    for (let j = 0; j < n; j++) {
      const b = bytes[j]!
      high |= b
      if (b === 0x22) buf[at++] = 0x22
      buf[at++] = b
    }
    buf[at++] = 0x22
  }
  out.at = at
  // Text that is not valid UTF-8 is written as mysql2 decodes it (U+FFFD for what does not decode).
  if (high >= 0x80 && !isUtf8(bytes)) {
    out.at = start
    csvString(out, bytes.toString('utf8'))
  }
}

const CSV_SPECIAL = /[",\r\n]/

function csvString (out: Chunks, text: string): void {
  if (text === '') out.ascii('""')
  else if (CSV_SPECIAL.test(text)) out.utf8('"' + text.replaceAll('"', '""') + '"')
  else out.utf8(text)
}

/**
 * A value as mysql2 and ../query/values.ts make it: its JSON text, a string's without quotes; with
 * `guard`, made spreadsheet-safe (a number's JSON is a plain number, never a formula).
 */
function csvValue (out: Chunks, value: unknown, guard: boolean): void {
  if (typeof value === 'number' || typeof value === 'boolean') return out.ascii(JSON.stringify(value))
  const text = typeof value === 'string' ? value : value instanceof JsonText ? value.text : JSON.stringify(value) ?? ''
  csvString(out, guard ? safeString(text) : text)
}
