import type { Token } from './lexer.js'
import { firstKeyword, isCall, isPunct, keyword, looseName, statementStarts } from './tokens.js'

/**
 * What a statement reaches past the databases' data: the database server's host's files, the
 * server itself, and other servers. Refused in write mode (read-only mode refuses them as
 * writes), in a request's statement and in each statement of a stored program's body
 * (`program`), which runs later as the routine's: a statement is known by its first keywords
 * wherever a statement may begin (tokens.ts, statementStarts). Each returns what it found, or null.
 */

/** Statements known by their first two keywords, the second '' for any. */
type StatementStarts = ReadonlyArray<readonly [string, string]>

/** The first two keywords of a statement found in `starts` ('SHUTDOWN', 'QUERY WATCH'), or null. */
function startsWith (tokens: readonly Token[], starts: StatementStarts, program: boolean): string | null {
  for (const i of statementStarts(tokens, program)) {
    const word = keyword(tokens[i])
    const found = starts.find(([first, next]) => first === word && (next === '' || next === keyword(tokens[i + 1])))
    if (found !== undefined) return found.join(' ').trim()
  }
  return null
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
export function fileAccess (tokens: readonly Token[], program: boolean): string | null {
  const statement = startsWith(tokens, FILE_STATEMENTS, program)
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
 * (SERVER; replication's CHANGE MASTER | REPLICATION SOURCE, TiDB's CHANGE PUMP | DRAINER, STOP
 * SLAVE | REPLICA), delete its logs (PURGE BINARY LOGS, RESET MASTER) or empty its caches (FLUSH),
 * manage its accounts (GRANT, REVOKE, users and roles: an account made here would reach the
 * database past the gateway), change it for every connection (MySQL's ALTER INSTANCE; TiDB's
 * resource groups and global bindings), or stop other connections' work (TiDB's QUERY WATCH,
 * which kills or slows every statement of a text, its ADMIN CANCEL | PAUSE | RESUME DDL JOBS and
 * CANCEL … JOB, as KILL would). CHANGE is named with its second word, so that a body's ALTER TABLE
 * … CHANGE column is none of them.
 */
const SERVER_STATEMENTS: StatementStarts = [['SHUTDOWN', ''], ['RESTART', ''], ['INSTALL', ''], ['UNINSTALL', ''], ['BINLOG', ''], ['CLONE', ''],
  ['CREATE', 'SERVER'], ['ALTER', 'SERVER'], ['DROP', 'SERVER'], ['CHANGE', 'MASTER'], ['CHANGE', 'REPLICATION'], ['CHANGE', 'PUMP'], ['CHANGE', 'DRAINER'],
  ['STOP', ''], ['PURGE', ''], ['RESET', ''], ['FLUSH', ''],
  ['GRANT', ''], ['REVOKE', ''], ['CREATE', 'USER'], ['ALTER', 'USER'], ['DROP', 'USER'], ['RENAME', 'USER'], ['CREATE', 'ROLE'], ['DROP', 'ROLE'],
  ['ALTER', 'INSTANCE'], ['CREATE', 'RESOURCE'], ['ALTER', 'RESOURCE'], ['DROP', 'RESOURCE'], ['CREATE', 'GLOBAL'], ['DROP', 'GLOBAL'],
  ['FLASHBACK', 'CLUSTER'], ['QUERY', 'WATCH'], ['ADMIN', 'PLUGINS'], ['ADMIN', 'CANCEL'], ['ADMIN', 'PAUSE'], ['ADMIN', 'RESUME'], ['CANCEL', '']]

/**
 * What a stored program's body may hold that a request cannot (where the classifier refuses it as
 * a session's statement): KILL, which stops other connections' statements, and what changes an
 * account: SET PASSWORD [FOR user], SET DEFAULT ROLE … FOR user.
 */
const BODY_STATEMENTS: StatementStarts = [['KILL', ''], ['SET', 'PASSWORD'], ['DEFAULT', 'ROLE']]
const PROGRAM_STATEMENTS: StatementStarts = [...SERVER_STATEMENTS, ...BODY_STATEMENTS]

/**
 * A setting for every connection in a stored program's body: SET GLOBAL | PERSIST | PERSIST_ONLY
 * name = … (also after a comma in one SET), or SET @@global.name = …. `SHOW GLOBAL …` and reading
 * `@@global.name` pass. What it found, or null.
 */
function globalSetting (tokens: readonly Token[]): string | null {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    const word = keyword(token)
    if ((word === 'GLOBAL' || word === 'PERSIST' || word === 'PERSIST_ONLY') && keyword(tokens[i - 1]) !== 'SHOW') return `SET ${word}`
    if (token.kind === 'variable' && token.text.startsWith('@@global.') && (isPunct(tokens[i + 1], '=') || isPunct(tokens[i + 1], ':='))) return `SET @@global.${token.name}`
  }
  return null
}

/** Storage engines whose tables are another server's tables (FEDERATED, SPIDER) or the host's files (CONNECT). */
const OUTSIDE_ENGINES = new Set(['FEDERATED', 'FEDERATEDX', 'SPIDER', 'CONNECT'])

/**
 * SERVER_STATEMENTS, what loads code into the server (CREATE FUNCTION … SONAME), a table created
 * or altered with an engine of OUTSIDE_ENGINES (whose connection or file is a string the server
 * reads), and in a stored program's body BODY_STATEMENTS and global settings.
 */
export function serverControl (tokens: readonly Token[], program: boolean): string | null {
  const statement = startsWith(tokens, program ? PROGRAM_STATEMENTS : SERVER_STATEMENTS, program) ?? (program ? globalSetting(tokens) : null)
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
