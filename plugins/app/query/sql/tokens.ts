import type { Token } from './lexer.js'
import { NON_ASCII, asciiLower, asciiUpper } from './literals.js'

/**
 * Questions the classifier asks of tokens. A keyword is an unquoted word; a name is a word or a
 * quoted name, in any case, however it is quoted: `` `GET_LOCK` `` is GET_LOCK.
 */

/** The token's keyword (upper-cased), or '' when it is not an unquoted word. */
export function keyword (token: Token | undefined): string {
  return token?.kind === 'word' ? token.value : ''
}

/** The token's name (upper-cased) when it is a word or a quoted name, else ''. */
export function nameOf (token: Token | undefined): string {
  return token?.kind === 'word' || token?.kind === 'ident' ? token.name : ''
}

/** Letters servers take for an ASCII one that no canonical decomposition gives: general_ci's ß, ı and ſ. */
const FOLDED_LETTERS: Record<string, string> = { ß: 's', ı: 'i', ſ: 's' }

/**
 * The token's name as any of the servers might read it, for what is refused by name: accents
 * dropped and ß, ı, ſ read as s, i, s, as MySQL compares system variables in utf8mb3_general_ci;
 * the Kelvin sign as K and İ as I, as TiDB lower-cases function and variable names with Go's
 * strings.ToLower. A name some server could read as a refused one is refused. Whether a call is a
 * built-in's goes by `nameOf`, which folds ASCII letters only, as the servers' function lookup does.
 * Upper-cased for words and quoted names, lower-cased for variables.
 */
export function looseName (token: Token | undefined): string {
  const name = token?.kind === 'variable' ? token.name : nameOf(token)
  if (!NON_ASCII.test(name)) return name
  const folded = name.normalize('NFD').replace(/\p{M}/gu, '').replace(/[ßıſ]/g, (letter) => FOLDED_LETTERS[letter]!)
  return token?.kind === 'variable' ? asciiLower(folded) : asciiUpper(folded)
}

export function isPunct (token: Token | undefined, value: string): boolean {
  return token?.kind === 'punct' && token.value === value
}

/** Whether `tokens[i]` is the name of a function call: a name followed by `(` (comments and whitespace between do not count). */
export function isCall (tokens: readonly Token[], i: number): boolean {
  return nameOf(tokens[i]) !== '' && isPunct(tokens[i + 1], '(')
}

/** Whether `tokens[i]` is preceded by `.`: the call or name is qualified with a database (`db.f()`). */
export function isQualified (tokens: readonly Token[], i: number): boolean {
  return isPunct(tokens[i - 1], '.')
}

/**
 * The qualified name that starts at `tokens[i]` (`db . name`, each part a word or a quoted name),
 * both parts as `looseName` reads them, for what is refused by a schema's name; null when none
 * starts there.
 */
export function qualifiedName (tokens: readonly Token[], i: number): { schema: string, name: string } | null {
  if (!isPunct(tokens[i + 1], '.') || nameOf(tokens[i]) === '' || nameOf(tokens[i + 2]) === '') return null
  return { schema: looseName(tokens[i]), name: looseName(tokens[i + 2]) }
}

/** The statement's first keyword (past opening parentheses): the word, or the first token's text. */
export function firstKeyword (statement: readonly Token[]): { word: string, token: Token | undefined } {
  const first = statement[firstIndex(statement)]
  return { word: keyword(first), token: first }
}

/** Where the statement's first token past opening parentheses is (its length when there is none). */
function firstIndex (statement: readonly Token[]): number {
  let i = 0
  while (isPunct(statement[i], '(')) i++
  return i
}

/**
 * Where a statement may begin: at its first keyword (past opening parentheses); in a stored
 * program, at every keyword. A body's statements begin after `;`, BEGIN, THEN, ELSE, DO, LOOP,
 * REPEAT, a label, a handler's conditions, the routine's characteristics or a trigger's FOLLOWS
 * name, which no short rule bounds; so a rule about how statements begin holds for each statement
 * of a body, at the cost of refusing a program that uses such a word as a bare name (quoted as
 * `name`, it is no keyword and passes).
 */
export function statementStarts (tokens: readonly Token[], program: boolean): number[] {
  if (!program) {
    const first = firstIndex(tokens)
    return first === tokens.length ? [] : [first]
  }
  const starts: number[] = []
  for (let i = 0; i < tokens.length; i++) if (tokens[i]!.kind === 'word') starts.push(i)
  return starts
}

const WRAPPERS = new Set(['TRACE', 'EXPLAIN', 'DESCRIBE', 'DESC', 'ANALYZE', 'BATCH'])
/**
 * Options between any wrapper and its statement: EXPLAIN's ANALYZE | EXTENDED | PARTITIONS |
 * VERBOSE | FORMAT = … | FOR SCHEMA db, TRACE's FORMAT = … | PLAN [TARGET = …], BATCH's ON column
 * LIMIT n [DRY RUN [QUERY]].
 */
const WRAPPER_OPTIONS = new Set(['ANALYZE', 'EXTENDED', 'PARTITIONS', 'VERBOSE', 'FORMAT', 'FOR', 'PLAN', 'TARGET', 'ON', 'LIMIT', 'DRY', 'RUN', 'QUERY'])

/**
 * The statement that TiDB's TRACE (which runs SET, LOAD DATA and transactions' statements),
 * EXPLAIN [ANALYZE], DESCRIBE, MariaDB's ANALYZE or TiDB's BATCH … runs or describes: the tokens
 * past the wrapper's options, or null for a statement of another kind (`word`, its first keyword).
 */
export function wrappedStatement (statement: readonly Token[], word: string): readonly Token[] | null {
  if (!WRAPPERS.has(word)) return null
  return statement.slice(pastOptions(statement, firstIndex(statement) + 1, WRAPPER_OPTIONS))
}

/**
 * Past the options of `options` that stand from `tokens[at]` on, before the statement a wrapper
 * runs or describes: `NAME = value` (FORMAT = JSON), FOR SCHEMA | DATABASE name, ON column (or
 * table.column), LIMIT n, or the word alone (ANALYZE).
 */
export function pastOptions (tokens: readonly Token[], at: number, options: ReadonlySet<string>): number {
  let i = at
  for (;;) {
    const option = keyword(tokens[i])
    if (!options.has(option)) return i
    if (isPunct(tokens[i + 1], '=')) i += 3
    else if (option === 'FOR') {
      if (!['SCHEMA', 'DATABASE'].includes(keyword(tokens[i + 1]))) return i
      i += 3
    } else if (option === 'ON') i += isPunct(tokens[i + 2], '.') ? 4 : 2
    else if (option === 'LIMIT') i += 2
    else i++
  }
}

/** Index past the parenthesis that closes the one at `open`. */
export function skipParens (tokens: readonly Token[], open: number): number {
  let depth = 0
  for (let i = open; i < tokens.length; i++) {
    if (isPunct(tokens[i], '(')) depth++
    else if (isPunct(tokens[i], ')') && --depth === 0) return i + 1
  }
  return tokens.length
}

/** A CTE of a WITH clause: its name's token, whether it names its columns, and the index of its query's `(`. */
export interface Cte { name: Token, columns: boolean, body: number }

/**
 * WITH [RECURSIVE] name [(columns)] AS (…) [, …] at `at`: its CTEs, and the index of the statement
 * after them, past the parentheses that open it.
 */
export function readCtes (tokens: readonly Token[], at: number): { ctes: Cte[], end: number } {
  const ctes: Cte[] = []
  let i = at + 1
  if (keyword(tokens[i]) === 'RECURSIVE') i++
  for (;;) {
    const name = tokens[i++] // the CTE's name
    const columns = isPunct(tokens[i], '(')
    if (columns) i = skipParens(tokens, i)
    if (keyword(tokens[i]) !== 'AS') break
    i++
    if (!isPunct(tokens[i], '(')) break
    if (name !== undefined) ctes.push({ name, columns, body: i })
    i = skipParens(tokens, i)
    if (!isPunct(tokens[i], ',')) break
    i++
  }
  while (isPunct(tokens[i], '(')) i++
  return { ctes, end: i }
}

/** WITH … at `at`: the index of the statement after the CTEs, past the parentheses that open it. */
export function afterCtes (tokens: readonly Token[], at: number): number {
  return readCtes(tokens, at).end
}

/** A word's or quoted name's name exactly as the server compares it with a table's (case kept), else ''. */
export function exactName (token: Token | undefined): string {
  if (token?.kind === 'word') return token.text
  return token?.kind === 'ident' ? token.text.slice(1, -1).replaceAll('``', '`') : ''
}

/**
 * The names a statement spells (words and quoted names, keywords among them), each once, in their
 * order. The tables among them, with their databases and aliases, are ./table-references.ts's.
 */
export function namesIn (tokens: readonly Token[]): string[] {
  const names = new Set<string>()
  for (const token of tokens) {
    const name = exactName(token)
    if (name !== '') names.add(name)
  }
  return [...names]
}

/** The index past the statement's last token that is not a trailing `;`. */
export function statementEnd (tokens: readonly Token[]): number {
  let end = tokens.length
  while (end > 0 && isPunct(tokens[end - 1], ';')) end--
  return end
}
