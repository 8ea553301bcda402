import type { Token } from './lexer.js'
import { firstKeyword, isCall, isPunct, keyword, looseName } from './tokens.js'

/**
 * What a statement reaches past the databases' data: the database server's host's files, the
 * server itself, and other servers. Refused in write mode (read-only mode refuses them as
 * writes). Each returns what it found, or null.
 */

/** Statements known by their first two keywords, the second '' for any. */
type StatementStarts = ReadonlyArray<readonly [string, string]>

/** The statement's first two keywords as they were found in `starts` ('SHUTDOWN', 'QUERY WATCH'), or null. */
function startsWith (tokens: readonly Token[], starts: StatementStarts): string | null {
  const first = firstKeyword(tokens).word
  const found = starts.find(([word, next]) => word === first && (next === '' || next === keyword(tokens[1])))
  return found === undefined ? null : found.join(' ').trim()
}

/**
 * Statements that read or write files of the server's host by their first two keywords (the
 * second '' for any): TiDB's IMPORT INTO … FROM and MySQL's IMPORT TABLE FROM, TiDB's BACKUP …
 * TO and RESTORE … FROM a storage URL (`local://` included) and PLAN REPLAYER DUMP | LOAD.
 */
const FILE_STATEMENTS: StatementStarts = [['IMPORT', ''], ['RESTORE', ''], ['BACKUP', 'DATABASE'], ['BACKUP', 'TABLE'], ['BACKUP', 'LOGS'], ['PLAN', 'REPLAYER']]

/**
 * SELECT … INTO OUTFILE | DUMPFILE, LOAD DATA | XML [LOCAL] INFILE, TiDB's LOAD STATS, LOAD_FILE(),
 * also in a stored program's body; a table's DATA | INDEX DIRECTORY and a tablespace's ADD
 * DATAFILE, which put its files (the rows' bytes as written) in any directory of the host the
 * server may write to; and FILE_STATEMENTS.
 */
export function fileAccess (tokens: readonly Token[]): string | null {
  const statement = startsWith(tokens, FILE_STATEMENTS)
  if (statement !== null) return statement
  for (let i = 0; i < tokens.length; i++) {
    const word = keyword(tokens[i])
    const next = keyword(tokens[i + 1])
    if (word === 'INTO' && (next === 'OUTFILE' || next === 'DUMPFILE')) return `INTO ${next}`
    if (word === 'LOAD' && (next === 'DATA' || next === 'XML' || next === 'STATS')) return `LOAD ${next}`
    if ((word === 'DATA' || word === 'INDEX') && next === 'DIRECTORY') return `${word} DIRECTORY`
    if (word === 'ADD' && next === 'DATAFILE') return 'ADD DATAFILE'
    if (looseName(tokens[i]) === 'LOAD_FILE' && isCall(tokens, i)) return 'LOAD_FILE()'
  }
  return null
}

/**
 * Statements that act on the server itself: stop it, load code into it (TiDB's ADMIN PLUGINS),
 * replace its data (MySQL's CLONE, a whole instance's data from another server or to a directory;
 * TiDB's FLASHBACK CLUSTER, every database back to a past time), connect it to other servers
 * (SERVER; replication's CHANGE MASTER | REPLICATION SOURCE, STOP SLAVE | REPLICA), delete its
 * logs (PURGE BINARY LOGS, RESET MASTER) or empty its caches (FLUSH), manage its accounts (GRANT,
 * REVOKE, users and roles: an account made here would reach the database past the gateway), change
 * it for every connection (MySQL's ALTER INSTANCE; TiDB's resource groups and global bindings), or
 * stop other connections' work (TiDB's QUERY WATCH, which kills or slows every statement of a
 * text, its ADMIN CANCEL | PAUSE | RESUME DDL JOBS and CANCEL … JOB, as KILL would).
 */
const SERVER_STATEMENTS: StatementStarts = [['SHUTDOWN', ''], ['RESTART', ''], ['INSTALL', ''], ['UNINSTALL', ''], ['BINLOG', ''], ['CLONE', ''],
  ['CREATE', 'SERVER'], ['ALTER', 'SERVER'], ['DROP', 'SERVER'], ['CHANGE', ''], ['STOP', ''], ['PURGE', ''], ['RESET', ''], ['FLUSH', ''],
  ['GRANT', ''], ['REVOKE', ''], ['CREATE', 'USER'], ['ALTER', 'USER'], ['DROP', 'USER'], ['RENAME', 'USER'], ['CREATE', 'ROLE'], ['DROP', 'ROLE'],
  ['ALTER', 'INSTANCE'], ['CREATE', 'RESOURCE'], ['ALTER', 'RESOURCE'], ['DROP', 'RESOURCE'], ['CREATE', 'GLOBAL'], ['DROP', 'GLOBAL'],
  ['FLASHBACK', 'CLUSTER'], ['QUERY', 'WATCH'], ['ADMIN', 'PLUGINS'], ['ADMIN', 'CANCEL'], ['ADMIN', 'PAUSE'], ['ADMIN', 'RESUME'], ['CANCEL', '']]

/** Storage engines whose tables are another server's tables (FEDERATED, SPIDER) or the host's files (CONNECT). */
const OUTSIDE_ENGINES = new Set(['FEDERATED', 'FEDERATEDX', 'SPIDER', 'CONNECT'])

/**
 * SERVER_STATEMENTS, what loads code into the server (CREATE FUNCTION … SONAME), and a table
 * created or altered with an engine of OUTSIDE_ENGINES (whose connection or file is a string the
 * server reads).
 */
export function serverControl (tokens: readonly Token[]): string | null {
  const statement = startsWith(tokens, SERVER_STATEMENTS)
  if (statement !== null) return statement
  const { word } = firstKeyword(tokens)
  // A table option of CREATE or ALTER, not `WHERE engine = 'CONNECT'` in a read.
  const defines = word === 'CREATE' || word === 'ALTER'
  for (let i = 0; i < tokens.length; i++) {
    if (keyword(tokens[i]) === 'SONAME') return 'SONAME'
    if (!defines || keyword(tokens[i]) !== 'ENGINE') continue
    const engine = isPunct(tokens[i + 1], '=') ? tokens[i + 2] : tokens[i + 1]
    const name = engine?.kind === 'string' ? engine.text.slice(1, -1).toUpperCase() : looseName(engine)
    if (OUTSIDE_ENGINES.has(name)) return `ENGINE=${name}`
  }
  return null
}
