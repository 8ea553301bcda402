import { detectDialect, type DialectName } from '../../database/dialect.js'
import { isWordChar } from './literals.js'

/**
 * What the statement reader needs to know of the connected server to read a statement as it
 * does: its dialect, and its version as the server compares it in `/*!NNNNN` comments
 * (major * 10000 + minor * 100 + patch: 10.11.19 is 101119).
 */
export interface SqlServer {
  dialect: DialectName
  version: number
}

/** The server behind `SELECT VERSION()`'s answer ("10.11.19-MariaDB-0+deb12u1", "8.0.36", "8.0.11-TiDB-v8.5.0"). */
export function sqlServer (versionText: string): SqlServer {
  const match = /^(?:5\.5\.5-)?(\d+)\.(\d+)\.(\d+)/.exec(versionText)
  const version = match === null ? 0 : Number(match[1]) * 10000 + Number(match[2]) * 100 + Number(match[3])
  return { dialect: detectDialect(versionText), version }
}

/** Whether `/*+ … *\/` right after SELECT, INSERT, REPLACE, UPDATE or DELETE is an optimizer hint (else a comment). */
export function readsHints (server: SqlServer): boolean {
  return server.dialect !== 'mariadb' || server.version >= 120000
}

/**
 * Whether the `?` at `at` is one the server cannot read: MariaDB and MySQL take a `?` for a
 * placeholder only when no name character follows it (`?a` is a syntax error to them, not
 * `? AS a`), TiDB always.
 */
export function unreadableQuestionMark (sql: string, at: number, server: SqlServer): boolean {
  return server.dialect !== 'tidb' && isWordChar(sql.charCodeAt(at + 1))
}
