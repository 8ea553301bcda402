import type { Token } from './lexer.js'
import { rebuild } from './rebuild.js'
import { exactName, isPunct, keyword, nameOf, readCtes, skipParens, type Cte } from './tokens.js'

/**
 * Result columns named as the client's text would have named them. A server names a column that
 * has no alias by the expression's text as it received it: `SELECT price*qty` answers a column
 * `price*qty`. It receives the statement rebuilt (`price * qty`, `@\`v\``, `X'41'`), so it names the
 * column after the rebuilt text. Each item of the first query block's select list is kept in both
 * spellings, and a column the server named after an item's rebuilt text is given the item's text
 * as the client wrote it. An item with a comment in it keeps the server's name (servers differ in
 * what of a comment they keep in a name), and so does a name a server cut short.
 */

/** A select-list item's text as the server receives it and as the client wrote it. */
export interface ItemSpelling { rebuilt: string, written: string }

/** Per item of the select list: its two spellings where they differ, else null; '*' for `*` and `t.*`, any number of columns. */
export type SelectItems = ReadonlyArray<ItemSpelling | null | '*'>

/** What may stand between SELECT and its first item. */
const MODIFIERS = new Set(['ALL', 'DISTINCT', 'DISTINCTROW', 'HIGH_PRIORITY', 'STRAIGHT_JOIN', 'SQL_SMALL_RESULT', 'SQL_BIG_RESULT',
  'SQL_BUFFER_RESULT', 'SQL_CACHE', 'SQL_NO_CACHE', 'SQL_CALC_FOUND_ROWS'])
/** Keywords that end a select list outside parentheses. */
const LIST_ENDS = new Set(['FROM', 'INTO', 'WHERE', 'GROUP', 'HAVING', 'WINDOW', 'ORDER', 'LIMIT', 'UNION', 'EXCEPT', 'INTERSECT',
  'MINUS', 'FOR', 'LOCK', 'PROCEDURE', 'OFFSET', 'FETCH'])

/**
 * The select list of the statement's first query block (after WITH's CTEs and opening
 * parentheses), or the first row of VALUES; null when the statement is neither or no item is
 * spelt differently. A list that is one star over one derived table or CTE (`SELECT * FROM
 * (SELECT a+1 FROM t) d`) is that query's list: its columns are named there.
 */
export function selectItems (sql: string, tokens: readonly Token[]): SelectItems | null {
  const items = blockItems(sql, tokens, 0, [], 0)
  return items !== null && items.some((item) => item !== null && item !== '*') ? items : null
}

/** Sources followed at most: deeper, the star's list is not read (a reading that ends, whatever the text). */
const MAX_DEPTH = 32

function blockItems (sql: string, tokens: readonly Token[], at: number, outer: readonly Cte[], depth: number): SelectItems | null {
  let i = at
  while (isPunct(tokens[i], '(')) i++
  let ctes = outer
  if (keyword(tokens[i]) === 'WITH') {
    const read = readCtes(tokens, i)
    // The innermost and latest first: a name finds the CTE it means, and a CTE's query the ones before it.
    ctes = [...read.ctes.reverse(), ...outer]
    i = read.end
  }
  i = listStart(tokens, i)
  if (i === -1) return null
  const items: Array<ItemSpelling | null | '*'> = []
  let open = 0
  for (let start = i, end = i; ; end++) {
    const token = tokens[end]
    if (token === undefined && open > 0) return null // unbalanced: the server refuses it
    if (isPunct(token, '(')) open++
    else if (isPunct(token, ')') && open > 0) open--
    else if (open === 0 && (token === undefined || isPunct(token, ',') || isPunct(token, ')') || LIST_ENDS.has(keyword(token)))) {
      if (end === start) return null // not a list this reading knows
      items.push(spelling(sql, tokens, start, end))
      if (isPunct(token, ',')) {
        start = end + 1
        continue
      }
      if (items.length !== 1 || items[0] !== '*') return items
      const source = depth < MAX_DEPTH ? onlySource(tokens, end, ctes) : null
      return source === null ? items : blockItems(sql, tokens, source.at, source.ctes, depth + 1)
    }
  }
}

/** What may follow a query block's only table (a join, a comma or an index hint may not). */
const SOURCE_ENDS = new Set(['WHERE', 'GROUP', 'HAVING', 'WINDOW', 'ORDER', 'LIMIT', 'UNION', 'EXCEPT', 'INTERSECT', 'MINUS'])

/**
 * `FROM (query) [AS] alias` or `FROM cte [[AS] alias]` at `at`, with nothing joined: where that
 * query begins, and the CTEs it sees. Null for anything else, and for a source that names its
 * columns (`d (x, y)`, `WITH c (x) AS …`), whose names are not its query's.
 */
function onlySource (tokens: readonly Token[], at: number, ctes: readonly Cte[]): { at: number, ctes: readonly Cte[] } | null {
  if (keyword(tokens[at]) !== 'FROM') return null
  let i = at + 1
  let source: { at: number, ctes: readonly Cte[] } | null = null
  if (isPunct(tokens[i], '(')) {
    source = { at: i + 1, ctes }
    i = skipParens(tokens, i)
  } else {
    const name = exactName(tokens[i])
    const index = name === '' ? -1 : ctes.findIndex((cte) => exactName(cte.name) === name)
    const cte = ctes[index]
    if (cte === undefined || cte.columns || isPunct(tokens[i + 1], '.')) return null
    // Its query sees the CTEs defined before it: the ones after it in the list. (A recursive CTE's
    // own name is not in its first block, which names its columns.)
    source = { at: cte.body + 1, ctes: ctes.slice(index + 1) }
    i++
  }
  if (keyword(tokens[i]) === 'AS') i++
  if (nameOf(tokens[i]) !== '' && !SOURCE_ENDS.has(keyword(tokens[i]))) i++
  const next = tokens[i]
  return next === undefined || isPunct(next, ')') || isPunct(next, ';') || SOURCE_ENDS.has(keyword(next)) ? source : null
}

/**
 * Where the first item begins: after SELECT and its hints and modifiers, or inside the first row
 * of VALUES [ROW] (…), whose columns MariaDB names after their text as well. -1 for any other statement.
 */
function listStart (tokens: readonly Token[], at: number): number {
  let i = at
  if (keyword(tokens[i]) === 'VALUES') {
    i++
    if (keyword(tokens[i]) === 'ROW') i++
    return isPunct(tokens[i], '(') ? i + 1 : -1
  }
  if (keyword(tokens[i]) !== 'SELECT') return -1
  i++
  while (tokens[i]?.kind === 'hint' || MODIFIERS.has(keyword(tokens[i]))) i++
  return i
}

/** The item `tokens[start..end)`: a star, its two spellings, or null when they are one or it holds a comment. */
function spelling (sql: string, tokens: readonly Token[], start: number, end: number): ItemSpelling | null | '*' {
  const last = tokens[end - 1]!
  if (isPunct(last, '*') && (end - start === 1 || isPunct(tokens[end - 2], '.'))) return '*'
  // A lone word names a column, or is `\N`, which the server names NULL as it does NULL itself.
  if (end - start === 1 && last.kind === 'word') return null
  // Before it, no comment left open (it would begin inside an executable comment); between its
  // tokens only whitespace: no comment, no executable comment's marker.
  if (sql.slice(tokens[start - 1]!.end, tokens[start]!.start).replace(/\/\*[\s\S]*?\*\//g, '').includes('/*')) return null
  for (let k = start + 1; k < end; k++) {
    if (!/^\s*$/.test(sql.slice(tokens[k - 1]!.end, tokens[k]!.start))) return null
  }
  const written = sql.slice(tokens[start]!.start, last.end)
  const rebuilt = rebuild(tokens.slice(start, end))
  return written === rebuilt ? null : { rebuilt, written }
}

/**
 * The columns' names with each that the server took from an item's rebuilt text given the item's
 * written text. Items line up with columns from the start until the first star and from the end
 * after the last; a column the server named otherwise (an alias, a column's own name, a string's
 * value, a name cut short) keeps its name.
 */
export function clientNames (names: readonly string[], items: SelectItems | null): readonly string[] {
  if (items === null) return names
  const first = items.indexOf('*')
  const last = items.lastIndexOf('*')
  const stars = items.reduce((count, item) => item === '*' ? count + 1 : count, 0)
  if (stars === 0 ? items.length !== names.length : items.length - stars > names.length) return names
  let out: string[] | null = null
  for (let k = 0; k < items.length; k++) {
    const item = items[k]!
    if (item === null || item === '*') continue
    const column = first === -1 || k < first ? k : k > last ? names.length - (items.length - k) : -1
    if (column >= 0 && names[column] === item.rebuilt) (out ??= [...names])[column] = item.written
  }
  return out ?? names
}
