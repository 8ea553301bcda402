/**
 * A MySQL/MariaDB/TiDB tokenizer for classification, not for parsing. Wherever the server's
 * reading of the text could differ from ours, we resolve toward seeing *more* code:
 * - executable comments (`/*! … *\/`, `/*M! … *\/`, `/*T! … *\/`) are code, as the server runs them;
 * - `#` and `-- ` comments end at `\r` as well as `\n`;
 * - anything we cannot read with certainty (an unterminated string or comment, a comment inside
 *   an executable comment) is an error, and the caller refuses the statement.
 * Comments and optimizer hints (`/*+ … *\/`) produce no tokens, but a hint that would lift the
 * gateway's limits is refused (LimitHintError); strings and quoted identifiers are opaque tokens
 * whose content is never looked at.
 *
 * The service pins sql_mode on its connections (no ANSI_QUOTES, no NO_BACKSLASH_ESCAPES), so
 * backslash escapes and double-quoted strings mean here what they mean on the server.
 */

export type TokenKind = 'word' | 'quoted' | 'variable' | 'punct'

export interface Token {
  kind: TokenKind
  /** Words: upper-cased. Punctuation: the character(s). Quoted and variables: as written. */
  value: string
}

export class TokenizeError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'TokenizeError'
  }
}

/**
 * An optimizer hint that would lift the limits the gateway sets on the statement's connection:
 * `MAX_EXECUTION_TIME(n)` and `SET_VAR(max_execution_time = n)` outlast its timeout (MySQL, TiDB,
 * MariaDB 12), `SET_VAR(sql_select_limit = n)` its row cap, TiDB's `MEMORY_QUOTA` and
 * `RESOURCE_GROUP` the server's own limits on it. Hints are otherwise comments to us.
 */
export class LimitHintError extends Error {
  readonly hint: string
  constructor (hint: string) {
    super(`the optimizer hint ${hint} is not supported`)
    this.name = 'LimitHintError'
    this.hint = hint
  }
}

const LIMIT_HINTS = /\b(SET_VAR|MAX_EXECUTION_TIME|MEMORY_QUOTA|RESOURCE_GROUP)\b/i

const SPACE = new Uint8Array(128)
for (const ch of ' \t\n\r\f\v') SPACE[ch.charCodeAt(0)] = 1

const WORD = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c)
  if (/[A-Za-z0-9_$]/.test(ch)) WORD[c] = 1
}

/** ASCII letters, digits, `_` and `$`, and every non-ASCII character (as MySQL identifiers allow). */
function isWordChar (code: number): boolean {
  return code >= 128 ? true : WORD[code] === 1
}

export function tokenize (sql: string): Token[] {
  const tokens: Token[] = []
  const length = sql.length
  let executableDepth = 0
  let i = 0

  while (i < length) {
    const code = sql.charCodeAt(i)
    const ch = sql[i]!

    if (code < 128 && SPACE[code] === 1) { i++; continue }

    // Line comments: `#…` and `-- …` (the dashes followed by a space, a control character or the end).
    if (ch === '#' || (ch === '-' && sql[i + 1] === '-' && (i + 2 >= length || sql.charCodeAt(i + 2) <= 32))) {
      while (i < length && sql[i] !== '\n' && sql[i] !== '\r') i++
      continue
    }

    if (ch === '/' && sql[i + 1] === '*') {
      const marker = sql[i + 2]
      const executable = marker === '!' ||
        ((marker === 'M' || marker === 'T') && sql[i + 3] === '!')
      if (executable) {
        if (executableDepth > 0) throw new TokenizeError('an executable comment inside another')
        i += marker === '!' ? 3 : 4
        while (i < length && sql.charCodeAt(i) >= 48 && sql.charCodeAt(i) <= 57) i++ // version number
        if (marker === 'T' && sql[i] === '[') { // TiDB feature list: /*T![clustered_index] … */
          const close = sql.indexOf(']', i)
          if (close === -1) throw new TokenizeError('an unterminated TiDB feature comment')
          i = close + 1
        }
        executableDepth++
        continue
      }
      if (executableDepth > 0) throw new TokenizeError('a comment inside an executable comment')
      const end = sql.indexOf('*/', i + 2)
      if (end === -1) throw new TokenizeError('an unterminated comment')
      if (marker === '+') {
        const limit = LIMIT_HINTS.exec(sql.slice(i + 3, end))
        if (limit !== null) throw new LimitHintError(limit[1]!.toUpperCase())
      }
      i = end + 2
      continue
    }

    if (ch === '*' && sql[i + 1] === '/' && executableDepth > 0) {
      executableDepth--
      i += 2
      continue
    }

    if (ch === "'" || ch === '"' || ch === '`') {
      const end = endOfQuoted(sql, i, ch)
      tokens.push({ kind: 'quoted', value: sql.slice(i, end) })
      i = end
      continue
    }

    if (ch === '@') {
      let j = i + 1
      if (sql[j] === '@') j++
      const next = sql[j]
      if (next === "'" || next === '"' || next === '`') {
        j = endOfQuoted(sql, j, next)
      } else {
        while (j < length && (isWordChar(sql.charCodeAt(j)) || sql[j] === '.')) j++
      }
      tokens.push({ kind: 'variable', value: sql.slice(i, j) })
      i = j
      continue
    }

    if (isWordChar(code)) {
      let j = i + 1
      while (j < length && isWordChar(sql.charCodeAt(j))) j++
      tokens.push({ kind: 'word', value: sql.slice(i, j).toUpperCase() })
      i = j
      continue
    }

    tokens.push({ kind: 'punct', value: ch })
    i++
  }

  if (executableDepth > 0) throw new TokenizeError('an unterminated executable comment')
  return tokens
}

/** Index just past the closing quote of the string or identifier that opens at `start`. */
function endOfQuoted (sql: string, start: number, quote: string): number {
  const backslashEscapes = quote !== '`'
  let i = start + 1
  while (i < sql.length) {
    const ch = sql[i]
    if (backslashEscapes && ch === '\\') { i += 2; continue }
    if (ch === quote) {
      if (sql[i + 1] === quote) { i += 2; continue } // doubled quote
      return i + 1
    }
    i++
  }
  throw new TokenizeError(quote === '`' ? 'an unterminated quoted identifier' : 'an unterminated string')
}
