/**
 * Literals as the server reads them (under the sql_mode the gateway pins: backslash escapes on,
 * double quotes around strings), and the one spelling each is sent in. A canonical string doubles
 * its quotes and backslashes, so it ends at the same quote whether or not backslashes escape: a
 * reading that differs from the server's can change a value, never where the literal ends.
 */

export class TokenizeError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'TokenizeError'
  }
}

/** What a backslash followed by the key stands for; `\%` and `\_` keep their backslash; any other `\x` is x. */
const ESCAPES: Record<string, string> = { 0: '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a', '%': '\\%', _: '\\_' }

export interface Decoded {
  value: string
  /** Index just past the closing quote. */
  end: number
}

/** The string that opens with `quote` (' or ") at `start`: its value, with escapes and doubled quotes resolved. */
export function decodeString (sql: string, start: number, quote: string): Decoded {
  let value = ''
  let from = start + 1
  let i = from
  while (i < sql.length) {
    const ch = sql[i]
    if (ch === '\\') {
      if (i + 1 >= sql.length) break
      const escaped = sql[i + 1]!
      value += sql.slice(from, i) + (ESCAPES[escaped] ?? escaped)
      i += 2
      from = i
      continue
    }
    if (ch === quote) {
      value += sql.slice(from, i)
      if (sql[i + 1] !== quote) return { value, end: i + 1 }
      value += quote
      i += 2
      from = i
      continue
    }
    i++
  }
  throw new TokenizeError('an unterminated string')
}

/** The identifier quoted with backticks at `start`: its name, doubled backticks resolved. */
export function decodeQuotedName (sql: string, start: number): Decoded {
  let value = ''
  let from = start + 1
  for (;;) {
    const close = sql.indexOf('`', from)
    if (close === -1) throw new TokenizeError('an unterminated quoted identifier')
    value += sql.slice(from, close)
    if (sql[close + 1] !== '`') return { value, end: close + 1 }
    value += '`'
    from = close + 2
  }
}

const STRING_SPECIALS = /[\\'\0]/g
const stringSpecial = (ch: string): string => ch === '\\' ? '\\\\' : ch === "'" ? "''" : '\\0'

/** A string value in its one spelling: single quotes, quotes and backslashes doubled, NUL as \0. */
export function canonicalString (value: string): string {
  return `'${value.replace(STRING_SPECIALS, stringSpecial)}'`
}

/** A name in its one spelling: in backticks, backticks doubled. */
export function canonicalName (name: string): string {
  return `\`${name.replaceAll('`', '``')}\``
}

/** A character outside ASCII: where JavaScript's case mapping and the servers' part. */
export const NON_ASCII = /[^\p{ASCII}]/u

/**
 * Upper- and lower-case ASCII letters only, as MariaDB and MySQL match keywords and built-in
 * functions' names: to JavaScript `ſum` upper-cases to SUM and `ﬁeld` to FIELD, to them they are
 * names of stored functions. (Names some server folds further are matched by tokens.looseName
 * where something is refused by name.)
 */
export function asciiUpper (text: string): string {
  return NON_ASCII.test(text) ? text.replace(/[a-z]+/g, (run) => run.toUpperCase()) : text.toUpperCase()
}

export function asciiLower (text: string): string {
  return NON_ASCII.test(text) ? text.replace(/[A-Z]+/g, (run) => run.toLowerCase()) : text.toLowerCase()
}

/** ASCII letters, digits, `_` and `$`, and every non-ASCII character (as MySQL identifiers allow). */
const WORD = new Uint8Array(128)
for (let c = 0; c < 128; c++) if (/[A-Za-z0-9_$]/.test(String.fromCharCode(c))) WORD[c] = 1

export function isWordChar (code: number): boolean {
  return code >= 128 || WORD[code] === 1
}

/** Whitespace as the servers' lexers take it between tokens: space, tab, line feed, vertical tab, form feed, carriage return. */
export function isSpace (code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13)
}

export function isDigit (code: number): boolean {
  return code >= 48 && code <= 57
}

const isHexDigit = (code: number): boolean => isDigit(code) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102)
const isBitDigit = (code: number): boolean => code === 48 || code === 49

/** Index past the run of characters from `i` for which `accept` holds. */
export function runEnd (sql: string, i: number, accept: (code: number) => boolean): number {
  while (i < sql.length && accept(sql.charCodeAt(i))) i++
  return i
}

/**
 * Where the number that starts at `start` (a digit, or `.` before a digit) ends, as the server's
 * lexer reads it; -1 when the text there is an identifier that begins with digits (`1abc`, `0x`,
 * `1e`). `1e5x` is the number 1e5 followed by x, as the server reads it.
 */
export function numberEnd (sql: string, start: number): number {
  const c0 = sql[start]
  const c1 = sql[start + 1]
  if (c0 === '0' && (c1 === 'x' || c1 === 'b')) {
    const end = runEnd(sql, start + 2, c1 === 'x' ? isHexDigit : isBitDigit)
    return end > start + 2 && !isWordChar(sql.charCodeAt(end)) ? end : -1
  }
  const i = runEnd(sql, start, isDigit)
  // `1..10`, a FOR loop's range in MariaDB: the integer ends where `..` begins.
  if (sql[i] === '.' && sql[i + 1] !== '.') return decimalEnd(sql, start, runEnd(sql, i + 1, isDigit))
  if (i >= sql.length || !isWordChar(sql.charCodeAt(i))) return i
  const exponent = exponentEnd(sql, i)
  return exponent > i ? exponent : -1
}

/**
 * Past the exponent of the decimal that starts at `start`, at `i` after its fraction. An `e` there
 * must begin one: the server's lexer takes a decimal whose `e` has no digits after it (or after
 * its sign) for no number at all and refuses the statement, so `1.5e` is refused here too rather
 * than read as `1.5 AS e`.
 */
function decimalEnd (sql: string, start: number, i: number): number {
  const end = exponentEnd(sql, i)
  if (end === i && (sql[i] === 'e' || sql[i] === 'E')) throw new TokenizeError(`a number whose exponent has no digits (${sql.slice(start, i + 1)})`)
  return end
}

/** Past an exponent (`e5`, `E-5`) at `i`, or `i` when there is none. */
function exponentEnd (sql: string, i: number): number {
  if (sql[i] !== 'e' && sql[i] !== 'E') return i
  let j = i + 1
  if (sql[j] === '+' || sql[j] === '-') j++
  return isDigit(sql.charCodeAt(j)) ? runEnd(sql, j, isDigit) : i
}

/** `X'…'` or `B'…'` (the letter at `start`, the quote after it): the literal's canonical text and end. */
export function prefixedLiteral (sql: string, start: number): { text: string, end: number } {
  const letter = asciiUpper(sql[start]!)
  const close = sql.indexOf("'", start + 2)
  if (close === -1) throw new TokenizeError('an unterminated string')
  const digits = sql.slice(start + 2, close)
  if (!(letter === 'X' ? /^[0-9A-Fa-f]*$/ : /^[01]*$/).test(digits)) {
    throw new TokenizeError(`a malformed ${letter === 'X' ? 'hexadecimal' : 'bit'} literal`)
  }
  return { text: `${letter}'${digits}'`, end: close + 1 }
}
