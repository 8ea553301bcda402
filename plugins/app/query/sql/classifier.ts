import { AppError } from '../../errors/errors.js'
import { usesConnectionState } from './builtins.js'
import { selectItems, type SelectItems } from './column-names.js'
import { refuseCredentials } from './credentials.js'
import { lex, TokenizeError, type Token } from './lexer.js'
import { checkRead, READ_STARTS, readOnlyViolation } from './read-checks.js'
import { rebuild } from './rebuild.js'
import { isDiagnostics, otherStatementsReference, previousStatementReference, sessionCounters, storedProgramKind, stringStatement } from './refusals.js'
import type { SqlServer } from './server.js'
import { firstKeyword, isPunct, statementEnd } from './tokens.js'
import { refuseServerReach, refuseInProgram, writeModeKind } from './write-mode.js'

/**
 * Decides, before anything reaches the database, whether a statement may run, and gives the text
 * the server runs: rebuilt from the very tokens the decision read (plugins/app/query/sql/rebuild.ts), so a
 * difference between this reading and the server's can only make a statement harmless or refused,
 * never hide a write inside what was judged a comment or a string.
 *
 * Read-only mode admits reads only (plugins/app/query/sql/read-checks.ts). Both modes refuse stacked statements
 * (a stored program's BEGIN … END body is one CREATE statement), what reaches past the data (the
 * server's files, process, accounts, other servers: ./server-reach.ts), what reads the pooled
 * connection's previous statements, what shows the statements other connections run, SQL the
 * server would run from a string (./refusals.ts), and what shows the credentials the server keeps
 * (./credentials.ts). Write mode also refuses statements that only make sense inside a session the
 * gateway does not keep (USE, SET, transactions, LOCK TABLES, PREPARE, …).
 */

export type StatementKind = 'read' | 'write'

export interface Statement {
  kind: StatementKind
  /** The statement's leading keyword, e.g. SELECT, SHOW, INSERT. */
  keyword: string
  /** What the database server receives: the statement rebuilt from its tokens. */
  text: string
  /**
   * It may leave state on its connection that the server does not report, or draw on what another
   * session left there: a write, a read that calls a function the gateway does not know as
   * built-in, or one that draws from the connection's random generator (an unseeded RAND()). Its
   * connection is reset after it, and before it when another session's statement ran there since.
   */
  resetsConnection: boolean
  /** The `?` placeholders the server reads in `text`: every `?` token is one (no operator is spelled `?`). */
  placeholders: number
  /** A SELECT's items as written and as sent, to name its columns as the client's text would have (./column-names.ts). */
  columns: SelectItems | null
}

/** Every statement keyword the gateway knows: a first word outside them is a typo, not a write. */
const STATEMENT_KEYWORDS = new Set([
  ...READ_STARTS,
  'ALTER', 'ANALYZE', 'BACKUP', 'BEGIN', 'BINLOG', 'CACHE', 'CALL', 'CHANGE', 'CHECK', 'CHECKSUM', 'CLONE', 'COMMIT',
  'CREATE', 'DEALLOCATE', 'DELETE', 'DO', 'DROP', 'EXECUTE', 'FLUSH', 'GET', 'GRANT', 'HANDLER', 'HELP', 'IMPORT',
  'INSERT', 'INSTALL', 'KILL', 'LOAD', 'LOCK', 'OPTIMIZE', 'PREPARE', 'PURGE', 'RELEASE', 'RENAME', 'REPAIR', 'REPLACE',
  'RESET', 'RESIGNAL', 'RESTART', 'REVOKE', 'ROLLBACK', 'SAVEPOINT', 'SET', 'SHUTDOWN', 'SIGNAL', 'START', 'STOP',
  'TRUNCATE', 'UNINSTALL', 'UNLOCK', 'UPDATE', 'USE', 'XA',
  // TiDB's own
  'ADMIN', 'BATCH', 'SPLIT', 'FLASHBACK', 'RECOVER', 'TRACE', 'PLAN', 'CALIBRATE', 'CANCEL', 'PAUSE', 'RESUME', 'RESTORE',
  'QUERY', 'REFRESH'
])

export function classify (sql: string, readOnly: boolean, server: SqlServer): Statement {
  const tokens = read(sql, server)
  refuseClientCommand(tokens)
  const program = storedProgramKind(tokens)
  refuseOtherStatements(tokens, program !== null)
  refuseCredentials(tokens, program !== null, server)
  if (!readOnly) refuseServerReach(tokens, program !== null)
  refuseStringStatements(tokens, program !== null)
  if (program !== null) {
    // Its body's statements run when the program does, not now. Text past the body's END the
    // server refuses whole: the pool's connections have no multi-statement capability.
    if (readOnly) throw readOnlyViolation(`${tokens[0]!.value} ${program} statements are refused`)
    refusePreviousStatement(tokens, true)
    refuseInProgram(tokens)
    return { kind: 'write', keyword: tokens[0]!.value, text: rebuild(tokens.slice(0, statementEnd(tokens))), resetsConnection: true, placeholders: placeholders(tokens), columns: null }
  }
  const statement = singleStatement(tokens)
  const word = leadingKeyword(statement)
  refuseConnectionHistory(statement, word)
  const kind = readOnly ? checkedRead(statement, word) : writeModeKind(statement, word, server.dialect)
  return {
    kind,
    keyword: word,
    text: rebuild(statement),
    resetsConnection: kind === 'write' || usesConnectionState(statement, server.dialect),
    placeholders: placeholders(statement),
    columns: selectItems(sql, statement)
  }
}

function placeholders (tokens: readonly Token[]): number {
  let count = 0
  for (const token of tokens) if (isPunct(token, '?')) count++
  return count
}

function read (sql: string, server: SqlServer): Token[] {
  try {
    return lex(sql, server)
  } catch (err) {
    if (err instanceof TokenizeError) throw syntaxError(`The statement could not be read: ${err.message}. Nothing was sent to the database.`)
    throw err
  }
}

/**
 * The mysql command-line client's own commands, which it reads before anything reaches the
 * server: DELIMITER, which begins scripts pasted whole, and the `\G` and `\g` that end a statement
 * there. Said before anything else about the text (its several statements, say), so the answer
 * says what to send instead.
 */
function refuseClientCommand (tokens: readonly Token[]): void {
  if (firstKeyword(tokens).word === 'DELIMITER') {
    throw syntaxError('DELIMITER is a command of the mysql command-line client, not SQL the server reads: send one statement per request, without it. A stored program\'s CREATE … BEGIN … END is one statement, the semicolons of its body included. Nothing was sent to the database.', { near: 'DELIMITER' })
  }
  const end = statementEnd(tokens)
  const last = tokens[end - 1]
  if (isPunct(tokens[end - 2], '\\') && last?.kind === 'word' && last.value === 'G') {
    throw syntaxError(`\\${last.text} ends a statement in the mysql command-line client, not in SQL the server reads: send the statement without it. Nothing was sent to the database.`, { near: `\\${last.text}` })
  }
}

/** In both modes, and in a stored program's body: what shows the statements of other connections, which serve other sessions. */
function refuseOtherStatements (tokens: readonly Token[], program: boolean): void {
  const found = otherStatementsReference(tokens, program)
  if (found !== null) {
    throw new AppError('unsupported_statement',
      `${found} is not supported: it shows the statements other connections run, and this gateway's connections serve every session under one database user, so it would show other sessions' statements, their values included. Nothing was sent to the database.`)
  }
}

/** In both modes: SQL the server would read from a string, which is all the gateway would have read of it. */
function refuseStringStatements (tokens: readonly Token[], program: boolean): void {
  const found = stringStatement(tokens, program)
  if (found === null) return
  const why = found.startsWith('sys.')
    ? 'the sys schema\'s procedures run SQL built from their arguments, and its views and functions read the server\'s instrumentation of every connection, other sessions\' statements included'
    : 'it runs SQL built from a string, which the gateway reads only as a string, so none of its rules would apply to that SQL'
  throw new AppError('unsupported_statement', `${found} is not supported: ${why}. Nothing was sent to the database.`)
}

/** The statement's first keyword; a first word no statement begins with is a syntax error, USE its own. */
function leadingKeyword (statement: readonly Token[]): string {
  const { word, token } = firstKeyword(statement)
  if (word === 'USE') {
    throw new AppError('unsupported_statement',
      'USE is not supported: a session\'s database is chosen with POST /api/database/select (MCP: select_database), and every later query of the session runs in it. Name another database\'s tables as db.table.')
  }
  if (!STATEMENT_KEYWORDS.has(word)) {
    const shown = token === undefined ? '(' : token.text.slice(0, 40)
    throw syntaxError(`The statement cannot begin with ${shown}: no SQL statement starts with it. Nothing was sent to the database.`, { near: shown })
  }
  return word
}

/** Diagnostics and results of the pooled connection's previous statement, perhaps another session's. */
function refuseConnectionHistory (statement: readonly Token[], word: string): void {
  if (isDiagnostics(statement, word)) {
    throw new AppError('unsupported_statement',
      'SHOW WARNINGS, SHOW ERRORS and GET DIAGNOSTICS are not supported: they describe the previous statement of a pooled connection, which may be another session\'s (its values included), never the previous statement of this session. A query\'s answer carries its own warnings.')
  }
  const counters = sessionCounters(statement, word)
  if (counters !== null) {
    throw new AppError('unsupported_statement',
      `${counters} is not supported: the counters of a pooled connection count the statements every session ran on it (rows read and sent, statements by kind, the last statement's cost), never this session's alone. SHOW GLOBAL STATUS shows the server's.`)
  }
  refusePreviousStatement(statement, false)
}

/**
 * What reads the results of the pooled connection's previous statement. A stored program's body
 * may read its own statements' (ROW_COUNT() after its UPDATE): it runs on a connection reset
 * first (../../database/connection-setup.ts), so only what outlives a reset is refused there (FOUND_ROWS()).
 */
function refusePreviousStatement (tokens: readonly Token[], program: boolean): void {
  const previous = previousStatementReference(tokens, program)
  if (previous !== null) {
    throw new AppError('unsupported_statement',
      `${previous} is not supported: it describes the previous statement of a pooled connection, which may be another session's, never the previous statement of this session (each request may run on another connection). Count with COUNT(*); a write's answer has affected_rows and insert_id, and SELECT NEXTVAL(seq) answers the value it takes.`)
  }
}

function checkedRead (statement: readonly Token[], word: string): StatementKind {
  checkRead(statement, word)
  return 'read'
}

/** The statement's tokens; refuses more than one statement and none. */
function singleStatement (tokens: readonly Token[]): readonly Token[] {
  const end = tokens.findIndex((token) => isPunct(token, ';'))
  const statement = end === -1 ? tokens : tokens.slice(0, end)
  if (end !== -1 && tokens.slice(end).some((token) => !isPunct(token, ';'))) {
    throw new AppError('multiple_statements', 'Only one statement per request: stacked statements are refused and none of them ran.')
  }
  if (statement.length === 0) throw new AppError('empty_query', 'The query holds no SQL statement (only comments or whitespace).')
  return statement
}

function syntaxError (message: string, extra?: Record<string, unknown>): AppError {
  return new AppError('syntax_error', message, extra)
}
