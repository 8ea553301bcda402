import type { SQLDialect } from '@codemirror/lang-sql'

/** A plain word: letters, digits and `_`, not starting with a digit. */
const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * A table's or column's name as it is written into a statement: bare when it is a plain word that
 * is none of the dialect's keywords, else in backticks (a backtick in it doubled), so `a b`,
 * `order`, `key` or `2024-sales` insert as names the server reads as names. The keyword list is
 * the editor's (CodeMirror's), which holds the reserved words and more: a name quoted that need
 * not be reads the same.
 */
export function nameQuoter (dialect: SQLDialect): (name: string) => string {
  const keywords = new Set((dialect.spec.keywords ?? '').toLowerCase().split(/\s+/))
  return (name) => PLAIN.test(name) && !keywords.has(name.toLowerCase()) ? name : `\`${name.replaceAll('`', '``')}\``
}
