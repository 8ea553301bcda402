import { dashesStartComment, readComment } from './comments.js'
import { readHint } from './hints.js'
import { TokenizeError, asciiLower, asciiUpper, canonicalName, canonicalString, decodeQuotedName, decodeString, isDigit, isSpace, isWordChar, numberEnd, prefixedLiteral, runEnd } from './literals.js'
import { readsHints, unreadableQuestionMark, type SqlServer } from './server.js'

export { TokenizeError } from './literals.js'

/**
 * The statement's one reading: the tokens the classifier judges, each with the text the server
 * receives for it. Comments are resolved the way the connected server resolves them (executable
 * ones by dialect and version) and never sent on; strings, quoted names and variables get one
 * spelling. What cannot be read with certainty (an unterminated string or comment, a control
 * character outside a string) is an error, and nothing is sent.
 */
export type TokenKind = 'word' | 'ident' | 'string' | 'number' | 'variable' | 'punct' | 'hint'

export interface Token {
  kind: TokenKind
  /** A word: upper-cased (a keyword or a name). Punctuation: the operator. Otherwise ''. */
  value: string
  /** Words and quoted names: the name, upper-cased (what deny-lists match). Variables: the name, lower-cased. */
  name: string
  /** What the server receives for this token. */
  text: string
  /** What separated it from the token before in the client's text: '' (nothing), ' ', or the newlines there were. */
  before: string
  /** Where it is in the client's text: from `start` to before `end`. */
  start: number
  end: number
}

/** Operators of two or three characters, longest first. */
const OPERATORS = ['<=>', '->>', '<=', '>=', '<>', '!=', '<<', '>>', ':=', '||', '&&', '->', '..']
/** The statement keywords an optimizer hint may follow. */
const HINTED = new Set(['SELECT', 'INSERT', 'REPLACE', 'UPDATE', 'DELETE'])
const SCOPES = new Set(['global', 'session', 'local'])

export function lex (sql: string, server: SqlServer): Token[] {
  return new Lexer(sql, server).run()
}

class Lexer {
  private readonly tokens: Token[] = []
  private i = 0
  /** What separates the next token from the last: '' until whitespace or a comment is passed. */
  private gap = ''
  /** Inside an executable comment whose text is code: its `*\/` ends it. */
  private inCode = false

  constructor (private readonly sql: string, private readonly server: SqlServer) {}

  run (): Token[] {
    const sql = this.sql
    while (this.i < sql.length) {
      const code = sql.charCodeAt(this.i)
      if (isSpace(code)) this.space(code === 10)
      else if (code === 35) this.skipTo(this.lineEnd()) // #
      else if (code === 45 && sql[this.i + 1] === '-' && dashesStartComment(sql, this.i, this.server)) this.skipTo(this.lineEnd())
      else if (code === 47 && sql[this.i + 1] === '*') this.comment()
      else if (code === 42 && sql[this.i + 1] === '/' && this.inCode) this.endCode()
      else this.token(code)
    }
    if (this.inCode) throw new TokenizeError('an unterminated executable comment')
    return this.tokens
  }

  private endCode (): void {
    this.inCode = false
    this.skipTo(this.i + 2)
  }

  private token (code: number): void {
    const sql = this.sql
    const next = sql[this.i + 1]
    if (code === 39 || code === 34) this.string()
    else if (code === 96) this.quotedName()
    else if (code === 64) this.variable()
    else if (isDigit(code) || (code === 46 && isDigit(sql.charCodeAt(this.i + 1)) && !this.afterName())) this.number()
    else if (isWordChar(code)) this.word()
    else if (code === 92 && next === 'N') this.push('word', 'NULL', 'NULL', 'NULL', this.i + 2) // \N
    else if (code < 32 || code === 0x7f) throw new TokenizeError('a control character outside a string')
    else this.punct()
  }

  private push (kind: TokenKind, value: string, name: string, text: string, end: number): void {
    this.tokens.push({ kind, value, name, text, before: this.gap, start: this.i, end })
    this.gap = ''
    this.i = end
  }

  private space (newline: boolean): void {
    this.gap = newline ? (this.gap === ' ' ? '\n' : this.gap + '\n') : (this.gap === '' ? ' ' : this.gap)
    this.i++
  }

  /** Moves to `end` past a comment (or a comment's marker): a separation, as the server sees it. */
  private skipTo (end: number): void {
    const newlines = this.sql.slice(this.i, end).split('\n').length - 1
    this.gap = newlines > 0 ? (this.gap === ' ' ? '' : this.gap) + '\n'.repeat(newlines) : (this.gap === '' ? ' ' : this.gap)
    this.i = end
  }

  private lineEnd (): number {
    const end = this.sql.indexOf('\n', this.i)
    return end === -1 ? this.sql.length : end
  }

  private comment (): void {
    const reading = readComment(this.sql, this.i, this.server)
    if (reading.kind === 'skip') {
      this.skipTo(reading.end)
    } else if (reading.kind === 'code') {
      if (this.inCode) throw new TokenizeError('an executable comment inside another')
      this.inCode = true
      this.skipTo(reading.start)
    } else {
      const hint = readHint(this.sql, this.i)
      const last = this.tokens.at(-1)
      if (readsHints(this.server) && last?.kind === 'word' && HINTED.has(last.value)) {
        const gap = this.gap
        this.push('hint', '', '', hint.text, hint.end)
        this.gap = gap === '' ? ' ' : gap
      } else {
        this.skipTo(hint.end)
      }
    }
  }

  private string (): void {
    const { value, end } = decodeString(this.sql, this.i, this.sql[this.i]!)
    this.push('string', '', '', canonicalString(value), end)
  }

  private quotedName (): void {
    const { value, end } = decodeQuotedName(this.sql, this.i)
    this.push('ident', '', asciiUpper(value), canonicalName(value), end)
  }

  /** Right after a name: a `.` there qualifies it (`t.5` is column 5 of t, not t and 0.5). */
  private afterName (): boolean {
    const last = this.tokens.at(-1)
    return this.gap === '' && (last?.kind === 'word' || last?.kind === 'ident')
  }

  /** After `name.`: the server reads the next part as a name, even one that begins with digits (`t.1e5`). */
  private afterQualifier (): boolean {
    const dot = this.tokens.at(-1)
    const qualifier = this.tokens.at(-2)
    return this.gap === '' && dot?.kind === 'punct' && dot.value === '.' && dot.before === '' &&
      (qualifier?.kind === 'word' || qualifier?.kind === 'ident')
  }

  private number (): void {
    const end = this.afterQualifier() ? -1 : numberEnd(this.sql, this.i)
    if (end === -1) {
      this.word()
      return
    }
    this.push('number', '', '', this.sql.slice(this.i, end), end)
  }

  /**
   * A run of name characters: a keyword or a name, sent as written when it is plain ASCII that
   * begins with a letter, `_` or `$`; in backticks otherwise (a name that begins with digits, or
   * holds a non-ASCII character, which some servers' lexers could take for a separator).
   */
  private word (): void {
    const sql = this.sql
    const start = this.i
    const end = runEnd(sql, start, isWordChar)
    const word = sql.slice(start, end)
    if (end === start + 1 && sql[end] === "'") {
      const letter = asciiUpper(word)
      if (letter === 'X' || letter === 'B') {
        const literal = prefixedLiteral(sql, start)
        this.push('number', '', '', literal.text, literal.end)
        return
      }
      if (letter === 'N') {
        const { value, end: close } = decodeString(sql, end, "'")
        this.push('string', '', '', `N${canonicalString(value)}`, close)
        return
      }
    }
    const plain = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(word)
    const upper = asciiUpper(word)
    if (plain) this.push('word', upper, upper, word, end)
    else this.push('ident', '', upper, canonicalName(word), end)
  }

  /** `@name`, `@'name'` (user variables) and `@@[scope.]name` (system variables); a lone `@` (user@host) is punctuation. */
  private variable (): void {
    const sql = this.sql
    if (sql[this.i + 1] === '@') {
      this.systemVariable()
      return
    }
    const at = this.i + 1
    const quote = sql[at]
    let name: string
    let end: number
    if (quote === "'" || quote === '"') ({ value: name, end } = decodeString(sql, at, quote))
    else if (quote === '`') ({ value: name, end } = decodeQuotedName(sql, at))
    else {
      end = runEnd(sql, at, (code) => isWordChar(code) || code === 46)
      if (end === at) {
        this.push('punct', '@', '', '@', at)
        return
      }
      name = sql.slice(at, end)
    }
    this.push('variable', '', asciiLower(name), `@${canonicalName(name)}`, end)
  }

  private systemVariable (): void {
    const parts: Array<{ name: string, quoted: boolean }> = []
    let i = this.i + 2
    for (;;) {
      const part = this.namePart(i)
      parts.push(part)
      i = part.end
      const dot = runEnd(this.sql, i, isSpace)
      if (this.sql[dot] !== '.') break
      i = runEnd(this.sql, dot + 1, isSpace)
    }
    const first = parts[0]!
    const scoped = parts.length > 1 && !first.quoted && SCOPES.has(asciiLower(first.name))
    const named = scoped ? parts.slice(1) : parts
    const name = asciiLower(named.map((part) => part.name).join('.'))
    const text = `@@${scoped ? `${asciiLower(first.name)}.` : ''}${named.map((part) => canonicalName(part.name)).join('.')}`
    this.push('variable', '', name, text, i)
  }

  /** A system variable's name part at `at`: a run of name characters, or a backquoted name. */
  private namePart (at: number): { name: string, quoted: boolean, end: number } {
    if (this.sql[at] === '`') {
      const { value, end } = decodeQuotedName(this.sql, at)
      return { name: value, quoted: true, end }
    }
    const end = runEnd(this.sql, at, isWordChar)
    if (end === at) throw new TokenizeError('a system variable (@@) without a name')
    return { name: this.sql.slice(at, end), quoted: false, end }
  }

  private punct (): void {
    const operator = OPERATORS.find((op) => this.sql.startsWith(op, this.i)) ?? this.sql[this.i]!
    if (operator === '?' && unreadableQuestionMark(this.sql, this.i, this.server)) throw new TokenizeError('a ? directly followed by a name character, which the server does not read as a placeholder')
    this.push('punct', operator, '', operator, this.i + operator.length)
  }
}
