import type { SQLDialect } from '@codemirror/lang-sql'
import { canonicalName } from '../plugins/app/query/sql/literals.js'

/** A plain word: letters, digits and `_`, not starting with a digit. */
const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Words MySQL 8 reserves that CodeMirror's keyword lists lack (window functions, JSON_TABLE,
 * MEMBER OF, …; MySQL's "Keywords and Reserved Words", marked (R)). TiDB reserves most of them.
 */
const MYSQL_8_RESERVED = [
  'array', 'cume_dist', 'dense_rank', 'empty', 'first_value', 'groups', 'json_table', 'lag', 'last_value', 'lead', 'manual',
  'member', 'nth_value', 'ntile', 'over', 'parallel', 'percent_rank', 'qualify', 'rank', 'row_number', 'system', 'window'
]

/**
 * A table's or column's name as it is written into a statement: bare when it is a plain word that
 * is none of the dialect's keywords, else in backticks (a backtick in it doubled), so `a b`,
 * `order`, `key`, `rank` or `2024-sales` insert as names the server reads as names. The keyword
 * list is the editor's (CodeMirror's), which holds the reserved words and more, with MySQL 8's
 * that it lacks: a name quoted that need not be reads the same.
 */
export function nameQuoter (dialect: SQLDialect): (name: string) => string {
  const keywords = new Set([...(dialect.spec.keywords ?? '').toLowerCase().split(/\s+/), ...MYSQL_8_RESERVED])
  return (name) => PLAIN.test(name) && !keywords.has(name.toLowerCase()) ? name : canonicalName(name)
}
