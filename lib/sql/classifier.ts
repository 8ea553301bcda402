import { AppError } from '../errors.js'
import { LimitHintError, tokenize, TokenizeError, type Token } from './tokenizer.js'

/**
 * Decides, before anything reaches the database, whether a statement may run.
 *
 * Read-only mode admits reads only: SELECT (also parenthesised and with UNION), WITH … SELECT,
 * TABLE, VALUES, SHOW, DESCRIBE/DESC, and EXPLAIN of a read. Inside them it refuses whatever
 * writes, locks or leaves state on the connection: INTO (OUTFILE, DUMPFILE, @variables),
 * FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE, `:=` assignments, sequence advances, lock and
 * file functions. This is the primary guard: TiDB has no read-only transactions.
 *
 * Both modes refuse stacked statements (a stored program's BEGIN … END body is not stacked: it is
 * one CREATE statement, whose semicolons are the body's). Write mode also refuses statements that only make sense
 * inside a session the gateway does not keep (USE, SET, transactions, LOCK TABLES, PREPARE, …).
 */

export type StatementKind = 'read' | 'write'

export interface Classification {
  kind: StatementKind
  /** The statement's leading keyword, e.g. SELECT, SHOW, INSERT. */
  keyword: string
}

const READ_STARTS = new Set(['SELECT', 'WITH', 'TABLE', 'VALUES', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN'])

/** Functions that take locks, read the server's files, advance sequences or wait on replication. */
const DENIED_FUNCTIONS = new Set([
  'GET_LOCK', 'RELEASE_LOCK', 'RELEASE_ALL_LOCKS',
  'LOAD_FILE',
  'NEXTVAL', 'SETVAL',
  'MASTER_POS_WAIT', 'SOURCE_POS_WAIT', 'MASTER_GTID_WAIT', 'WAIT_FOR_EXECUTED_GTID_SET', 'WAIT_UNTIL_SQL_THREAD_AFTER_GTIDS',
  'SYS_EXEC', 'SYS_EVAL'
])

const EXPLAIN_MODIFIERS = new Set(['ANALYZE', 'EXTENDED', 'PARTITIONS', 'FORMAT', 'VERBOSE'])
const EXPLAINABLE_WRITES = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE'])

/** Statements whose effect outlives the request, on a connection the next request may get. */
const SESSION_STATEMENTS = new Set([
  'USE', 'SET', 'START', 'BEGIN', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'XA',
  'LOCK', 'UNLOCK', 'PREPARE', 'EXECUTE', 'DEALLOCATE', 'HANDLER', 'KILL'
])

export function classify (sql: string, readOnly: boolean): Classification {
  let tokens: Token[]
  try {
    tokens = tokenize(sql)
  } catch (err) {
    if (err instanceof LimitHintError) {
      throw new AppError(400, 'unsupported_statement',
        `The optimizer hint ${err.hint} is not supported: it would lift the limits the gateway sets on the statement (its timeout, row cap or the server's memory and resource limits). Ask for them with timeout_ms and max_rows; other hints run as written.`)
    }
    if (!(err instanceof TokenizeError)) throw err
    if (readOnly) throw readOnlyViolation(`the statement could not be read safely (${err.message})`)
    throw new AppError(400, 'sql_error', `The statement could not be read: ${err.message}.`)
  }

  if (!readOnly) {
    // Read-only mode refuses these as writes; with writes allowed they would still reach past the
    // databases, to the database server's own files (with the FILE privilege: root has it).
    const file = fileAccess(tokens)
    if (file !== null) {
      throw new AppError(400, 'unsupported_statement',
        `${file} is not supported: it reads or writes files on the database server's host, not data of a database this gateway serves.`)
    }
    const server = serverControl(tokens)
    if (server !== null) {
      throw new AppError(400, 'unsupported_statement',
        `${server} is not supported: it acts on the database server itself (its process, or code it loads), not on data of a database this gateway serves.`)
    }
  }
  const program = storedProgramKind(tokens)
  if (program !== null) {
    // Its body's statements run when the program does, not now, and they are its own: ROW_COUNT()
    // in a procedure is the procedure's. Text past the body's END the server refuses whole: the
    // pool's connections have no multi-statement capability (a parse error, nothing runs).
    if (readOnly) throw readOnlyViolation(`${tokens[0]!.value} ${program} statements are refused`)
    return { kind: 'write', keyword: tokens[0]!.value }
  }
  const statement = singleStatement(tokens)
  const keyword = firstKeyword(statement)
  if (isDiagnostics(statement, keyword)) {
    throw new AppError(400, 'unsupported_statement',
      'SHOW WARNINGS, SHOW ERRORS and GET DIAGNOSTICS are not supported: they describe the previous statement of a pooled connection, which may be another session\'s (its values included), never the previous statement of this session. A query\'s answer carries its own warnings.')
  }
  const previous = previousStatementReference(statement)
  if (previous !== null) {
    throw new AppError(400, 'unsupported_statement',
      `${previous} is not supported: it describes the previous statement of a pooled connection, which may be another session's, never the previous statement of this session (each request may run on another connection). Count with COUNT(*); a write's answer has affected_rows and insert_id.`)
  }

  if (readOnly) {
    checkRead(statement, keyword)
    return { kind: 'read', keyword }
  }
  if (SESSION_STATEMENTS.has(keyword)) {
    throw new AppError(400, 'unsupported_statement',
      `${keyword} statements are not supported: each request runs on a pooled connection in autocommit mode, so session state and transactions cannot carry over to the next request.`)
  }
  if (READ_STARTS.has(keyword) || keyword === '(') {
    try {
      checkRead(statement, keyword)
      return { kind: 'read', keyword }
    } catch {
      return { kind: 'write', keyword }
    }
  }
  return { kind: 'write', keyword }
}

/**
 * What in the statement (or in a stored program's body) reads or writes the server's files:
 * SELECT … INTO OUTFILE | DUMPFILE, LOAD DATA | XML [LOCAL] INFILE, LOAD_FILE(); or null.
 */
function fileAccess (tokens: Token[]): string | null {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    if (token.kind !== 'word') continue
    const next = tokens[i + 1]?.value
    if (token.value === 'INTO' && (next === 'OUTFILE' || next === 'DUMPFILE')) return `INTO ${next}`
    if (token.value === 'LOAD_FILE' && next === '(') return 'LOAD_FILE()'
    if (token.value === 'LOAD' && (next === 'DATA' || next === 'XML')) return `LOAD ${next}`
  }
  return null
}

/** Statements that stop the server or load code into it, by their leading keyword. */
const SERVER_STATEMENTS = new Set(['SHUTDOWN', 'RESTART', 'INSTALL', 'UNINSTALL', 'BINLOG'])

/** What in the statement stops the database server or loads code into it (CREATE FUNCTION … SONAME); or null. */
function serverControl (tokens: Token[]): string | null {
  const first = firstKeyword(tokens)
  if (SERVER_STATEMENTS.has(first)) return first
  return tokens.some((token) => token.kind === 'word' && token.value === 'SONAME') ? 'SONAME' : null
}

const PROGRAM_KINDS = new Set(['PROCEDURE', 'FUNCTION', 'TRIGGER', 'EVENT', 'PACKAGE'])

/**
 * CREATE [OR REPLACE] [DEFINER = user] [AGGREGATE] PROCEDURE | FUNCTION | TRIGGER | EVENT | PACKAGE …,
 * or ALTER [DEFINER = user] EVENT …: one statement whose body (BEGIN … END) holds semicolons. Its
 * kind (PROCEDURE, ...), or null for any other statement.
 */
function storedProgramKind (tokens: Token[]): string | null {
  const first = tokens[0]?.value
  if (first !== 'CREATE' && first !== 'ALTER') return null
  let i = 1
  if (first === 'CREATE' && tokens[1]?.value === 'OR' && tokens[2]?.value === 'REPLACE') i = 3
  if (tokens[i]?.value === 'DEFINER' && tokens[i + 1]?.value === '=') {
    i += 2
    // 'user'@'host', user@host, `user`@`host`, CURRENT_USER[()], CURRENT_ROLE
    if (tokens[i]?.kind === 'word' || tokens[i]?.kind === 'quoted') i++
    if (tokens[i]?.kind === 'variable') i++
    else if (tokens[i]?.value === '(' && tokens[i + 1]?.value === ')') i += 2
  }
  if (first === 'ALTER') return tokens[i]?.value === 'EVENT' ? 'EVENT' : null
  if (tokens[i]?.value === 'AGGREGATE') i++
  const kind = tokens[i]
  return kind?.kind === 'word' && PROGRAM_KINDS.has(kind.value) ? kind.value : null
}

/**
 * SHOW [COUNT(*)] WARNINGS | ERRORS [LIMIT …], GET [CURRENT | STACKED] DIAGNOSTICS: what the
 * connection's previous statement left in its diagnostics area. On a pooled connection that is
 * whichever session's statement ran there last ("Truncated incorrect DOUBLE value: 'alice@…'").
 */
function isDiagnostics (statement: Token[], keyword: string): boolean {
  if (keyword === 'GET') return true
  if (keyword !== 'SHOW') return false
  let i = 1
  if (statement[i]?.value === 'COUNT') i = statement.findIndex((token) => token.value === ')') + 1
  const what = statement[i]?.value
  return what === 'WARNINGS' || what === 'ERRORS'
}

/** Functions and variables whose value is what the connection's previous statement left. */
const PREVIOUS_STATEMENT_FUNCTIONS = new Set(['FOUND_ROWS', 'ROW_COUNT'])
const PREVIOUS_STATEMENT_VARIABLES = /^@@(?:(?:session|local)\.)?(?:warning_count|error_count|identity|last_insert_id)$/i

/** What in the statement reads the previous statement's results (FOUND_ROWS(), ...), or null. */
function previousStatementReference (tokens: Token[]): string | null {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    if (token.kind === 'variable' && PREVIOUS_STATEMENT_VARIABLES.test(token.value)) return token.value
    if (token.kind !== 'word' || tokens[i + 1]?.value !== '(') continue
    if (PREVIOUS_STATEMENT_FUNCTIONS.has(token.value)) return `${token.value}()`
    // With an argument it sets the value instead (refused in reads as session state).
    if (token.value === 'LAST_INSERT_ID' && tokens[i + 2]?.value === ')') return 'LAST_INSERT_ID()'
  }
  return null
}

/** The statement's tokens; refuses more than one statement and none. */
function singleStatement (tokens: Token[]): Token[] {
  const end = tokens.findIndex((token) => token.kind === 'punct' && token.value === ';')
  const statement = end === -1 ? tokens : tokens.slice(0, end)
  if (end !== -1 && tokens.slice(end).some((token) => token.value !== ';')) {
    throw new AppError(400, 'multiple_statements', 'Only one statement per request: stacked statements are refused and none of them ran.')
  }
  if (statement.length === 0) throw new AppError(400, 'empty_query', 'The query holds no SQL statement (only comments or whitespace).')
  return statement
}

function firstKeyword (statement: Token[]): string {
  const first = statement.find((token) => !(token.kind === 'punct' && token.value === '('))
  if (first === undefined) return '('
  return first.kind === 'word' ? first.value : first.value.slice(0, 20)
}

function checkRead (statement: Token[], keyword: string): void {
  if (!READ_STARTS.has(keyword)) {
    throw readOnlyViolation(`${keyword} statements are refused`)
  }
  if (keyword === 'WITH') checkWithBody(statement)
  if (keyword === 'EXPLAIN' || keyword === 'DESCRIBE' || keyword === 'DESC') checkExplained(statement)
  checkTokens(statement)
}

/** Everything inside a read that writes, locks or leaves state behind. */
function checkTokens (tokens: Token[]): void {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    const next = tokens[i + 1]
    if (token.kind === 'punct') {
      if (token.value === ':') throw readOnlyViolation('assignments (:=) are refused')
      continue
    }
    if (token.kind !== 'word') continue
    switch (token.value) {
      case 'INTO':
        throw readOnlyViolation('SELECT … INTO (OUTFILE, DUMPFILE or variables) is refused')
      case 'FOR':
        if (next?.value === 'UPDATE' || next?.value === 'SHARE') throw readOnlyViolation(`locking reads (FOR ${next.value}) are refused`)
        if (next?.value === 'CONNECTION') throw readOnlyViolation('EXPLAIN FOR CONNECTION is refused')
        break
      case 'LOCK':
        throw readOnlyViolation('locking reads (LOCK IN SHARE MODE) are refused')
      case 'PROCEDURE':
        throw readOnlyViolation('SELECT … PROCEDURE is refused')
      case 'NEXT':
        if (next?.value === 'VALUE') throw readOnlyViolation('NEXT VALUE FOR advances a sequence and is refused')
        break
      case 'LAST_INSERT_ID':
        if (next?.value === '(' && tokens[i + 2]?.value !== ')') throw readOnlyViolation('LAST_INSERT_ID(expr) sets session state and is refused')
        break
      default:
        if (next?.value === '(' && DENIED_FUNCTIONS.has(token.value)) throw readOnlyViolation(`${token.value}() is refused`)
    }
  }
}

/** WITH [RECURSIVE] name [(columns)] AS (…) [, …] — the statement after the CTEs must be a read. */
function checkWithBody (tokens: Token[]): void {
  let i = tokens.findIndex((token) => token.value === 'WITH') + 1
  if (tokens[i]?.value === 'RECURSIVE') i++
  for (;;) {
    i++ // the CTE's name
    if (tokens[i]?.value === '(') i = skipParens(tokens, i)
    if (tokens[i]?.value !== 'AS') break
    i++
    if (tokens[i]?.value !== '(') break
    i = skipParens(tokens, i)
    if (tokens[i]?.value !== ',') break
    i++
  }
  while (tokens[i]?.value === '(') i++
  const main = tokens[i]
  if (main === undefined || !(main.kind === 'word' && ['SELECT', 'TABLE', 'VALUES'].includes(main.value))) {
    throw readOnlyViolation(`WITH … ${main?.kind === 'word' ? main.value : 'anything but SELECT'} is refused`)
  }
}

/** EXPLAIN/DESCRIBE of a table or of a read; never of a write (EXPLAIN ANALYZE would run it). */
function checkExplained (tokens: Token[]): void {
  let i = 1
  while (tokens[i]?.kind === 'word' && EXPLAIN_MODIFIERS.has(tokens[i]!.value)) {
    i += tokens[i + 1]?.value === '=' ? 3 : 1 // FORMAT=JSON
  }
  while (tokens[i]?.value === '(') i++
  const target = tokens[i]
  if (target?.kind !== 'word') return // nothing, or a quoted table name
  if (EXPLAINABLE_WRITES.has(target.value)) throw readOnlyViolation(`EXPLAIN of ${target.value} is refused`)
  if (target.value === 'WITH') checkWithBody(tokens.slice(i))
}

function skipParens (tokens: Token[], open: number): number {
  let depth = 0
  for (let i = open; i < tokens.length; i++) {
    const value = tokens[i]!.kind === 'punct' ? tokens[i]!.value : ''
    if (value === '(') depth++
    else if (value === ')' && --depth === 0) return i + 1
  }
  return tokens.length
}

function readOnlyViolation (reason: string): AppError {
  return new AppError(403, 'read_only_violation',
    `This gateway is read-only: ${reason}. Only SELECT, WITH … SELECT, SHOW, DESCRIBE and EXPLAIN run here; nothing was sent to the database.`)
}
