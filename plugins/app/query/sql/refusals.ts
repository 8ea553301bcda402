import type { Token } from './lexer.js'
import { isCall, isPunct, keyword, looseName, nameOf, qualifiedName, statementStarts } from './tokens.js'

/**
 * What a statement reaches besides a database's data, judged the same way in both modes: what a
 * pooled connection's previous statements (perhaps other sessions') left behind, what other
 * connections run, and SQL the server would run from a string; and where a stored program's body
 * is. What reaches past the server's data is ./server-reach.ts's. Each returns what it found, or null.
 */

const PROGRAM_KINDS = new Set(['PROCEDURE', 'FUNCTION', 'TRIGGER', 'EVENT', 'PACKAGE'])

/**
 * CREATE [OR REPLACE] [DEFINER = user] [AGGREGATE] PROCEDURE | FUNCTION | TRIGGER | EVENT | PACKAGE …,
 * or ALTER [DEFINER = user] EVENT …: one statement whose body (BEGIN … END) holds semicolons. Its
 * kind (PROCEDURE, …), or null for any other statement.
 */
export function storedProgramKind (tokens: readonly Token[]): string | null {
  const first = keyword(tokens[0])
  if (first !== 'CREATE' && first !== 'ALTER') return null
  let i = afterDefinitionHeader(tokens, false, 0)
  if (first === 'ALTER') return keyword(tokens[i]) === 'EVENT' ? 'EVENT' : null
  if (keyword(tokens[i]) === 'AGGREGATE') i++
  const kind = keyword(tokens[i])
  return PROGRAM_KINDS.has(kind) ? kind : null
}

/**
 * The SELECT of CREATE [OR REPLACE] | ALTER [ALGORITHM = …] [DEFINER = user] [SQL SECURITY …] VIEW
 * name [(columns)] AS …: its tokens past AS, or null for another statement.
 */
export function viewDefinition (tokens: readonly Token[]): readonly Token[] | null {
  if (!definesView(tokens, 0)) return null
  const as = tokens.findIndex((token) => keyword(token) === 'AS')
  return as === -1 ? null : tokens.slice(as + 1)
}

/** Whether the statement that begins at `tokens[at]` is CREATE or ALTER … VIEW. */
export function definesView (tokens: readonly Token[], at: number): boolean {
  const first = keyword(tokens[at])
  return (first === 'CREATE' || first === 'ALTER') && keyword(tokens[afterDefinitionHeader(tokens, true, at)]) === 'VIEW'
}

/**
 * Past the CREATE [OR REPLACE] or ALTER at `tokens[at]` and its DEFINER = user, and a view's
 * ALGORITHM = … and SQL SECURITY … (`view`), at what it defines.
 */
function afterDefinitionHeader (tokens: readonly Token[], view: boolean, at: number): number {
  let i = at + (keyword(tokens[at + 1]) === 'OR' && keyword(tokens[at + 2]) === 'REPLACE' ? 3 : 1)
  if (view && keyword(tokens[i]) === 'ALGORITHM' && isPunct(tokens[i + 1], '=')) i += 3
  if (keyword(tokens[i]) === 'DEFINER' && isPunct(tokens[i + 1], '=')) {
    i += 2
    // 'user'@'host', user@host, `user`@`host`, CURRENT_USER[()], CURRENT_ROLE
    if (tokens[i]?.kind === 'word' || tokens[i]?.kind === 'ident' || tokens[i]?.kind === 'string') i++
    if (tokens[i]?.kind === 'variable') i++
    else if (isPunct(tokens[i], '(') && isPunct(tokens[i + 1], ')')) i += 2
  }
  if (view && keyword(tokens[i]) === 'SQL' && keyword(tokens[i + 1]) === 'SECURITY') i += 3
  return i
}

/**
 * SHOW [COUNT(*)] WARNINGS | ERRORS [LIMIT …], GET [CURRENT | STACKED] DIAGNOSTICS: what the
 * connection's previous statement left in its diagnostics area. On a pooled connection that is
 * whichever session's statement ran there last ("Truncated incorrect DOUBLE value: 'alice@…'").
 */
export function isDiagnostics (statement: readonly Token[], word: string): boolean {
  if (word === 'GET') return true
  if (word !== 'SHOW') return false
  let i = 1
  if (keyword(statement[i]) === 'COUNT') i = statement.findIndex((token) => isPunct(token, ')')) + 1
  const what = keyword(statement[i])
  return what === 'WARNINGS' || what === 'ERRORS'
}

/**
 * SHOW [SESSION | LOCAL] STATUS (a bare SHOW STATUS is the session's) and
 * information_schema.SESSION_STATUS: the pooled connection's counters, which count every
 * statement any session ran on it since it was last reset (rows read and sent, statements by
 * kind, the last statement's cost), never this session's alone. What it found, or null.
 */
export function sessionCounters (statement: readonly Token[], word: string): string | null {
  if (word === 'SHOW') {
    const scope = keyword(statement[1])
    if (scope === 'STATUS' || ((scope === 'SESSION' || scope === 'LOCAL') && keyword(statement[2]) === 'STATUS')) return 'SHOW SESSION STATUS'
  }
  for (let i = 0; i < statement.length; i++) {
    const named = qualifiedName(statement, i)
    if (named?.schema === 'INFORMATION_SCHEMA' && named.name === 'SESSION_STATUS') return 'information_schema.session_status'
  }
  return null
}

/**
 * Functions and variables whose value is what the connection's previous statement or transaction
 * left: the last value it took from a sequence (LASTVAL(seq), MariaDB's PREVIOUS VALUE FOR seq),
 * MariaDB's `last_gtid` and Galera's `WSREP_LAST_WRITTEN_GTID()` and `WSREP_LAST_SEEN_GTID()`
 * (the last write this client made or saw), and TiDB's `tidb_last_*` (the previous query's and
 * transaction's timestamps, the previous DDL's text) and plan flags.
 */
const PREVIOUS_STATEMENT_FUNCTIONS = new Set(['FOUND_ROWS', 'ROW_COUNT', 'LASTVAL', 'WSREP_LAST_WRITTEN_GTID', 'WSREP_LAST_SEEN_GTID'])
const PREVIOUS_STATEMENT_VARIABLES = new Set(['warning_count', 'error_count', 'identity', 'last_insert_id', 'last_gtid',
  'tidb_last_query_info', 'tidb_last_txn_info', 'tidb_last_ddl_info', 'tidb_last_plan_replayer_token',
  'last_plan_from_cache', 'last_plan_from_binding', 'last_sql_use_alloc'])

/** Of those, what a connection's reset clears (FOUND_ROWS() outlives it): a stored program may read them of its own statements. */
const CLEARED_BY_RESET = new Set(['ROW_COUNT()', 'LAST_INSERT_ID()', 'LASTVAL()', 'PREVIOUS VALUE FOR', '@@warning_count', '@@error_count', '@@identity', '@@last_insert_id'])

/**
 * What in the statement reads the previous statement's results (FOUND_ROWS(), @@warning_count,
 * …); in a stored program (`program`), which runs on a connection reset first, what outlives the
 * reset.
 */
export function previousStatementReference (tokens: readonly Token[], program: boolean): string | null {
  for (let i = 0; i < tokens.length; i++) {
    const found = previousStatementRead(tokens, i)
    if (found !== null && !(program && CLEARED_BY_RESET.has(found.read))) return found.shown
  }
  return null
}

/** What `tokens[i]` reads of the previous statement (`read`, as CLEARED_BY_RESET names it), and how the client wrote it. */
function previousStatementRead (tokens: readonly Token[], i: number): { read: string, shown: string } | null {
  const token = tokens[i]!
  // Its last part, whatever scope the server reads in the parts before (`@@sessİon.` is TiDB's `@@session.`).
  if (token.kind === 'variable' && token.text.startsWith('@@')) {
    const name = looseName(token).split('.').at(-1)!
    return PREVIOUS_STATEMENT_VARIABLES.has(name) ? { read: `@@${name}`, shown: `@@${token.name}` } : null
  }
  if (keyword(token) === 'PREVIOUS' && keyword(tokens[i + 1]) === 'VALUE' && keyword(tokens[i + 2]) === 'FOR') {
    return { read: 'PREVIOUS VALUE FOR', shown: 'PREVIOUS VALUE FOR' }
  }
  if (!isCall(tokens, i)) return null
  const name = looseName(token)
  // LAST_INSERT_ID(expr) sets the value instead (refused in reads as session state).
  const read = PREVIOUS_STATEMENT_FUNCTIONS.has(name) || (name === 'LAST_INSERT_ID' && isPunct(tokens[i + 2], ')')) ? `${name}()` : null
  return read === null ? null : { read, shown: read }
}

/**
 * What runs SQL that reaches the gateway only as a string, which no reading here can judge: in a
 * stored program's body (`program`), PREPARE … FROM and EXECUTE IMMEDIATE (as statements of their
 * own they are refused already); in any statement, a CALL of a routine of `mysql` (MariaDB's
 * AddGeometryColumn and DropGeometryColumn run ALTER TABLE built from their arguments), and any
 * name of the `sys` schema: its procedures run statements built from their arguments
 * (execute_prepared_stmt, statement_performance_analyzer, table_exists) or change the
 * instrumentation of every connection (ps_setup_*), and its views and functions read
 * performance_schema (ps_thread_trx_info: other connections' statements, their values included).
 * What it found, or null.
 */
export function stringStatement (tokens: readonly Token[], program: boolean): string | null {
  for (let i = 0; i < tokens.length; i++) {
    const word = program ? keyword(tokens[i]) : ''
    if (word === 'PREPARE' && nameOf(tokens[i + 1]) !== '' && keyword(tokens[i + 2]) === 'FROM') return 'PREPARE … FROM'
    if (word === 'EXECUTE' && keyword(tokens[i + 1]) === 'IMMEDIATE') return 'EXECUTE IMMEDIATE'
    const named = qualifiedName(tokens, i)
    if (named === null) continue
    const routine = `${named.schema.toLowerCase()}.${named.name.toLowerCase()}`
    if (named.schema === 'SYS') return routine
    if (named.schema === 'MYSQL' && keyword(tokens[i - 1]) === 'CALL') return `CALL ${routine}`
  }
  return null
}

/**
 * Tables of the servers' own schemas that show what other connections run, their values included:
 * every connection's current statement (PROCESSLIST), slow, sampled and logged statements, open
 * transactions and the locks they hold and wait for (the keys of the rows locked, the statements
 * waiting and blocking), the optimizer's trace of the connection's previous statement (its text,
 * where a server traces every statement), TiDB's own log (CLUSTER_LOG, whose expensive-query lines
 * quote statements), and TiDB's DDL jobs, the statements it stopped for their memory and its
 * runaway queries and watches (each with its statement's text). By schema: every table of
 * performance_schema; sys's views of the current statements and lock waits; TiDB's CLUSTER_
 * tables as their single-server ones.
 */
const STATEMENT_TABLES: Record<string, ReadonlySet<string> | 'all'> = {
  INFORMATION_SCHEMA: new Set(['PROCESSLIST', 'SLOW_QUERY', 'STATEMENTS_SUMMARY', 'STATEMENTS_SUMMARY_HISTORY', 'STATEMENTS_SUMMARY_EVICTED',
    'TIDB_TRX', 'DEADLOCKS', 'DATA_LOCK_WAITS', 'INNODB_TRX', 'INNODB_LOCKS', 'INNODB_LOCK_WAITS', 'QUERY_CACHE_INFO', 'LOG', 'OPTIMIZER_TRACE',
    'DDL_JOBS', 'MEMORY_USAGE_OPS_HISTORY', 'RUNAWAY_WATCHES']),
  PERFORMANCE_SCHEMA: 'all',
  SYS: new Set(['PROCESSLIST', 'X$PROCESSLIST', 'SESSION', 'X$SESSION', 'INNODB_LOCK_WAITS', 'X$INNODB_LOCK_WAITS']),
  MYSQL: new Set(['GENERAL_LOG', 'SLOW_LOG', 'TIDB_MDL_VIEW', 'TIDB_DDL_JOB', 'TIDB_DDL_HISTORY', 'TIDB_RUNAWAY_QUERIES', 'TIDB_RUNAWAY_WATCH', 'TIDB_RUNAWAY_WATCH_DONE'])
}

/**
 * What SHOW shows of other connections' statements: their current ones (PROCESSLIST; EXPLAIN and
 * ANALYZE … FOR a connection), InnoDB's status (which quotes the transactions' statements), the
 * binary and relay logs' events (every connection's writes, as written), and the profiles of the
 * pooled connection's previous statements (where profiling is on).
 */
const SHOW_STATEMENTS = new Set(['PROCESSLIST', 'EXPLAIN', 'ANALYZE', 'ENGINE', 'BINLOG', 'RELAYLOG', 'PROFILE', 'PROFILES'])

/**
 * What in the statement shows the statements other connections run: SHOW_STATEMENTS, EXPLAIN …
 * FOR CONNECTION, TiDB's ADMIN SHOW DDL [JOB QUERIES] (the running DDL jobs' statements; ADMIN
 * SHOW DDL JOBS shows none) and ADMIN SHOW SLOW (the slow log's statements, as SLOW_QUERY), and a
 * table of STATEMENT_TABLES named with its schema (as it must be: a session's database is never a
 * system schema), however either is spelt, in the statement and in each statement of a stored
 * program's body (`program`). The pool's connections serve every session under one database
 * user, who sees its own connections' statements without any privilege: another session's
 * statement, `WHERE email = 'alice@…'`, would be read while it runs; and with the privileges root
 * has, every write any session made.
 */
export function otherStatementsReference (tokens: readonly Token[], program: boolean): string | null {
  // Asked once, and only of an ADMIN: a program may hold one at every word.
  let queries: boolean | undefined
  const namesQueries = (): boolean => (queries ??= tokens.some((token) => keyword(token) === 'QUERIES'))
  for (const start of statementStarts(tokens, program)) {
    const found = otherStatementsShown(tokens, start, namesQueries)
    if (found !== null) return found
  }
  for (let i = 0; i < tokens.length; i++) {
    if (keyword(tokens[i]) === 'FOR' && keyword(tokens[i + 1]) === 'CONNECTION') return 'EXPLAIN … FOR CONNECTION'
    const named = qualifiedName(tokens, i)
    if (named === null) continue
    const tables = STATEMENT_TABLES[named.schema]
    if (tables === 'all' || tables?.has(named.name.replace(/^CLUSTER_/, '')) === true) return `${named.schema.toLowerCase()}.${named.name.toLowerCase()}`
  }
  return null
}

/** SHOW_STATEMENTS, ADMIN SHOW DDL [JOB QUERIES] and ADMIN SHOW SLOW as the statement beginning at `tokens[at]` (`namesQueries`: whether the text names QUERIES). */
function otherStatementsShown (tokens: readonly Token[], at: number, namesQueries: () => boolean): string | null {
  const word = keyword(tokens[at])
  if (word === 'SHOW') {
    const what = keyword(tokens[at + 1]) === 'FULL' ? keyword(tokens[at + 2]) : keyword(tokens[at + 1])
    if (SHOW_STATEMENTS.has(what)) return `SHOW ${what}`
  }
  if (word !== 'ADMIN') return null
  if (namesQueries()) return 'ADMIN SHOW DDL JOB QUERIES'
  if (keyword(tokens[at + 1]) !== 'SHOW') return null
  if (keyword(tokens[at + 2]) === 'SLOW') return 'ADMIN SHOW SLOW'
  if (keyword(tokens[at + 2]) === 'DDL' && keyword(tokens[at + 3]) !== 'JOBS') return 'ADMIN SHOW DDL'
  return null
}
