import { AppError } from '../../errors/errors.js'
import { lex, type Token } from './lexer.js'
import { isSpace } from './literals.js'
import { rebuild } from './rebuild.js'
import type { SqlServer } from './server.js'
import { tableReferences, type TableReference } from './table-references.js'
import { namesIn, statementEnd } from './tokens.js'

/**
 * A syntax error quoted in the client's own words. MariaDB and MySQL quote the statement they
 * received from where their reading failed: `… near 'FROM @\`v\`' at line 1`. They receive the
 * statement rebuilt, so the quote is of the rebuilt text. The quote is found in the rebuilt text,
 * at the start of one of its tokens, and replaced with the client's text from that token on,
 * written as the server writes a quote (MariaDB's, exactly: the differential test compares them),
 * and the line is the line of the client's text the quote begins on. (The server's own count is
 * of lines it has read past, which it counts unevenly: not those that end a `#` comment, say.) A
 * quote found at no token, or at more than one, is left as the server wrote it. TiDB words its
 * messages otherwise; they are left as they are.
 */

/** A server's error for the statement sent as `sent`, a syntax error's quote in the client's text `sql`. */
export function quotedAsWritten (err: unknown, sql: string, sent: string, server: SqlServer | undefined): unknown {
  if (err instanceof AppError && err.code === 'sql_error' && server !== undefined) err.message = inClientText(err.message, sql, sent, server)
  return err
}

/** What `sql` names, as `server` reads it, for an error to name what was meant. */
export interface WrittenNames {
  /** Every name it spells (./tokens.ts `namesIn`). */
  names: string[]
  /** The tables it names where a table is expected, with their databases and aliases. */
  tables: TableReference[]
}

/** The names `sql` spells as `server` reads it: none when it cannot be read. */
export function namesWritten (sql: string, server: SqlServer | undefined): WrittenNames {
  const tokens = server === undefined ? null : readable(sql, server)
  return tokens === null ? { names: [], tables: [] } : { names: namesIn(tokens), tables: tableReferences(tokens) }
}

/** The client's text as `server` reads it, or null when it cannot be read (its error was said already). */
function readable (sql: string, server: SqlServer): Token[] | null {
  try {
    return lex(sql, server)
  } catch {
    return null
  }
}

const NEAR = /near '([\s\S]*)' at line (\d+)$/

/** How much of the rest of a statement a message quotes: MariaDB's `%-.80T`, MySQL's `%-.80s`, in bytes. */
const QUOTED_BYTES = 80
const ELLIPSIS = '...'
/** More of the text than any quote holds (80 bytes, a character past the BMP two here): the rest past it is never compared. */
const WINDOW = 2 * QUOTED_BYTES + 1

export function inClientText (message: string, sql: string, sent: string, server: SqlServer): string {
  if (server.dialect === 'tidb') return message
  const near = NEAR.exec(message)
  if (near === null || near[1] === '') return message
  const quote = near[1]!
  const tokens = readable(sql, server)
  if (tokens === null) return message
  const end = statementEnd(tokens)
  const starts: number[] = []
  if (rebuild(tokens.slice(0, end), starts) !== sent) return message
  const found: number[] = []
  for (let k = 0; k < end && found.length < 2; k++) {
    const at = starts[k]!
    // A quote's first character is the text's, unless the message writes it otherwise (`?`, `\XXXX`).
    if (sent[at] !== quote[0] && quote[0] !== '?' && quote[0] !== '\\') continue
    if (quotes(quote, sent.slice(at, at + WINDOW), sent.length - at <= WINDOW)) found.push(k)
  }
  if (found.length !== 1) return message
  const start = tokens[found[0]!]!.start
  // The servers drop whitespace and semicolons from the end of a statement before reading it.
  const rest = inMessageCharset(withoutEnd(sql.slice(start)))
  return `${message.slice(0, near.index)}near '${escaped(cut(rest, server))}' at line ${lineAt(sql, start)}`
}

/** What the servers drop from the end of a statement: whitespace and semicolons. */
const droppedAtEnd = (code: number): boolean => isSpace(code) || code === 0x3b

/**
 * `text` without what the servers drop from its end, found by index: a regex for it (`/[\s;]+$/`)
 * retries from every character of a long run that other text follows, in time that grows with the
 * square of the run.
 */
function withoutEnd (text: string): string {
  let end = text.length
  while (end > 0 && droppedAtEnd(text.charCodeAt(end - 1))) end--
  return text.slice(0, end)
}

/** The line of `text` that `offset` is on. */
function lineAt (text: string, offset: number): number {
  let line = 1
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++
  return line
}

/** Whether `quote` is what a server quotes of the text that begins `start` (all of it, when `whole`). */
function quotes (quote: string, start: string, whole: boolean): boolean {
  const text = inMessageCharset(start)
  const written = escaped(text)
  if (whole && written === quote) return true
  // MariaDB ends a quote it cut with `...`; MySQL cuts it without.
  if (quote.endsWith(ELLIPSIS) && written.startsWith(quote.slice(0, -ELLIPSIS.length))) return true
  return Buffer.byteLength(text) > QUOTED_BYTES && written.startsWith(quote)
}

/** A message is utf8mb3: a character past the BMP is `?` in it, before the quote is cut. */
function inMessageCharset (text: string): string {
  return text.replace(/[\u{10000}-\u{10FFFF}]/gu, '?')
}

/** A control character (tab and line ends aside) is `\XXXX` in a message, after the quote is cut. */
function escaped (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, (char) => `\\${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)
}

/** `rest` cut as the server cuts a quote: MariaDB to 77 bytes and `...` when it is longer than 80, MySQL to 80. */
function cut (rest: string, server: SqlServer): string {
  if (Buffer.byteLength(rest) <= QUOTED_BYTES) return rest
  const keep = server.dialect === 'mariadb' ? QUOTED_BYTES - ELLIPSIS.length : QUOTED_BYTES
  let bytes = 0
  let i = 0
  for (const char of rest) {
    bytes += Buffer.byteLength(char)
    if (bytes > keep) break
    i += char.length
  }
  return rest.slice(0, i) + (server.dialect === 'mariadb' ? ELLIPSIS : '')
}
