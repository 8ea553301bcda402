import { TokenizeError, isDigit, isSpace } from './literals.js'
import type { SqlServer } from './server.js'

/**
 * How the connected server reads a comment, so that the gateway reads the same: where it ends,
 * and whether an executable comment's text is code. No comment is ever sent on: code is unwrapped
 * into the statement, everything else is dropped.
 */

/** What to do with the `/*` comment at an index. */
export type CommentReading =
  /** A comment: skip to `end`. */
  | { kind: 'skip', end: number }
  /** Executable: its text from `start` is code, up to the `*\/` that closes it. */
  | { kind: 'code', start: number }
  /** `/*+ …`: an optimizer hint, or a comment where hints are not read. */
  | { kind: 'hint' }

/** TiDB's feature ids that `/*T![…] … *\/` may name for its text to be code (pkg/parser/tidb/features.go). */
const TIDB_FEATURES = new Set(['auto_rand', 'auto_id_cache', 'auto_rand_base', 'clustered_index', 'force_inc', 'placement', 'ttl', 'global_index'])

/** Reads the comment that opens (`/*`) at `start`. */
export function readComment (sql: string, start: number, server: SqlServer): CommentReading {
  const marker = sql[start + 2]
  if (marker === '+') return { kind: 'hint' }
  if (marker === '!') return versioned(sql, start + 3, server, false)
  if (marker === 'M' && sql[start + 3] === '!' && server.dialect === 'mariadb') return versioned(sql, start + 4, server, true)
  if (marker === 'T' && sql[start + 3] === '!' && server.dialect === 'tidb') return tidbComment(sql, start + 4)
  return { kind: 'skip', end: plainCommentEnd(sql, start + 2) }
}

/** Past the `*\/` that ends a plain comment whose text starts at `from` (the first one: comments do not nest). */
export function plainCommentEnd (sql: string, from: number): number {
  const end = sql.indexOf('*/', from)
  if (end === -1) throw new TokenizeError('an unterminated comment')
  return end + 2
}

/**
 * `/*!…` and MariaDB's `/*M!…`, the version digits (if any) at `at`. MariaDB reads five or six
 * digits and skips MySQL's 5.7+ range (50700-99999) unless the comment is `/*M!`; MySQL reads
 * exactly five; TiDB skips five digits and runs the text whatever they say.
 */
function versioned (sql: string, at: number, server: SqlServer, mariadbOnly: boolean): CommentReading {
  let digits = 0
  while (digits < 6 && isDigit(sql.charCodeAt(at + digits))) digits++
  if (digits < 5) return { kind: 'code', start: at }
  const length = server.dialect === 'mariadb' && digits === 6 ? 6 : 5
  if (server.dialect === 'tidb') return { kind: 'code', start: at + length }
  const version = Number(sql.slice(at, at + length))
  const runs = version <= server.version &&
    (server.dialect !== 'mariadb' || mariadbOnly || version < 50700 || version > 99999)
  return runs ? { kind: 'code', start: at + length } : { kind: 'skip', end: skippedCommentEnd(sql, at + length) }
}

/** `/*T!…` on TiDB: code, unless `[feature, …]` names a feature this reader does not know (then a comment). */
function tidbComment (sql: string, at: number): CommentReading {
  const features = /^\[([A-Za-z0-9_$]+(?:,[A-Za-z0-9_$]+)*)\]/.exec(sql.slice(at, at + 200))
  if (features === null) return { kind: 'code', start: at }
  const end = at + features[0].length
  return features[1]!.split(',').every((id) => TIDB_FEATURES.has(id))
    ? { kind: 'code', start: end }
    : { kind: 'skip', end: plainCommentEnd(sql, end) }
}

/**
 * Past the end of a versioned comment the server skips: MySQL and MariaDB let it hold one level of
 * comment (`/*!99999 a /* b *\/ c *\/` ends at the last `*\/`).
 */
function skippedCommentEnd (sql: string, from: number): number {
  let i = from
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      i = plainCommentEnd(sql, i + 2)
      continue
    }
    if (sql[i] === '*' && sql[i + 1] === '/') return i + 2
    i++
  }
  throw new TokenizeError('an unterminated comment')
}

/**
 * Whether `--` at `at` (the index of the first dash) starts a comment: followed by whitespace, a
 * control character or the end of the text (and on MariaDB also DEL, 0x7f). TiDB takes whitespace only.
 */
export function dashesStartComment (sql: string, at: number, server: SqlServer): boolean {
  if (at + 2 >= sql.length) return true
  const next = sql.charCodeAt(at + 2)
  if (server.dialect === 'tidb') return isSpace(next)
  return next <= 32 || (next === 0x7f && server.dialect === 'mariadb')
}
