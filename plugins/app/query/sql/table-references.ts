import type { Token } from './lexer.js'
import { exactName, isPunct, keyword } from './tokens.js'

/**
 * The tables a statement names where a table is expected, with the database written before them
 * and the alias they are known by in the statement: `FROM sales.orders AS o` is orders of sales,
 * called o. It serves an error's hint (plugins/app/database/names-meant.ts), which names a column
 * as the statement may write it (`o.total`, since `orders.total` is no name where orders is
 * aliased); nothing is judged by it.
 */
export interface TableReference {
  /** The database written before the table (`sales.orders`), or null for the session's. */
  database: string | null
  table: string
  /** The alias the statement gives it, or null. */
  alias: string | null
}

/** Keywords a list of tables follows. */
const LIST_STARTS = new Set(['FROM', 'JOIN', 'STRAIGHT_JOIN', 'UPDATE', 'INTO', 'TABLE'])

/**
 * Words that may follow a table's name without being its alias: the clauses, joins, index hints
 * and partition lists that come after a table in any of the statements above. Each is reserved in
 * MariaDB or MySQL, so none of them is an unquoted alias there.
 */
const NOT_ALIASES = new Set([
  'WHERE', 'ON', 'USING', 'JOIN', 'INNER', 'CROSS', 'LEFT', 'RIGHT', 'FULL', 'NATURAL', 'STRAIGHT_JOIN', 'OUTER',
  'GROUP', 'ORDER', 'LIMIT', 'HAVING', 'WINDOW', 'UNION', 'EXCEPT', 'INTERSECT', 'MINUS', 'FOR', 'LOCK', 'PARTITION',
  'USE', 'FORCE', 'IGNORE', 'SET', 'VALUES', 'VALUE', 'SELECT', 'TABLE', 'WITH', 'INTO', 'RETURNING', 'OFFSET',
  'FETCH', 'PROCEDURE', 'LATERAL', 'DEFAULT', 'ROWS', 'INTERVAL'
])

/** Every table the statement's tokens name after FROM, JOIN, UPDATE, INTO or TABLE, and after the commas of such a list, in their order. */
export function tableReferences (tokens: readonly Token[]): TableReference[] {
  const references: TableReference[] = []
  tokens.forEach((token, i) => {
    if (!LIST_STARTS.has(keyword(token))) return
    let at = i + 1
    for (;;) {
      const read = referenceAt(tokens, at)
      if (read === null) return
      references.push(read.reference)
      // `FROM a x, b y`: the list goes on after a comma.
      if (!isPunct(tokens[read.end], ',')) return
      at = read.end + 1
    }
  })
  return references
}

/** `[db.]table [[AS] alias]` at `at`, and the index past it; null when no table's name is there. */
function referenceAt (tokens: readonly Token[], at: number): { reference: TableReference, end: number } | null {
  const first = exactName(tokens[at])
  if (first === '') return null
  let database: string | null = null
  let table = first
  let end = at + 1
  if (isPunct(tokens[end], '.') && exactName(tokens[end + 1]) !== '') {
    database = first
    table = exactName(tokens[end + 1])
    end += 2
  }
  const named = keyword(tokens[end]) === 'AS' ? end + 1 : end
  const next = tokens[named]
  const alias = next?.kind === 'ident' || (next?.kind === 'word' && !NOT_ALIASES.has(next.value)) ? exactName(next) : null
  return { reference: { database, table, alias }, end: alias === null ? end : named + 1 }
}
