import type { DialectName } from '../../database/dialect.js'
import { AppError } from '../../errors/errors.js'
import { usesConnectionState } from './builtins.js'
import type { StatementKind } from './classifier.js'
import type { Token } from './lexer.js'
import { checkRead, READ_STARTS } from './read-checks.js'
import { definesView, viewDefinition } from './refusals.js'
import { fileAccess, serverControl } from './server-reach.js'
import { firstKeyword, keyword, statementStarts, wrappedStatement } from './tokens.js'

/**
 * What write mode refuses besides what both modes do: what reaches past the data (./server-reach.ts),
 * in a request's statement, in a stored program's body and in the statement a wrapper runs;
 * statements that only make sense in a session the gateway does not keep; and views that would
 * run stored code unseen. What is not refused is a write, or a read when it only reads.
 */

/** Statements whose effect outlives the request, on a connection the next request may get. */
const SESSION_STATEMENTS = new Set([
  'SET', 'START', 'BEGIN', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'XA',
  'LOCK', 'UNLOCK', 'PREPARE', 'EXECUTE', 'DEALLOCATE', 'HANDLER', 'KILL'
])

/** The statement's kind with writes allowed (`word`, its first keyword), or the refusal. */
export function writeModeKind (statement: readonly Token[], word: string, dialect: DialectName): StatementKind {
  refuseSessionStatement(word)
  refuseWrapped(statement, word)
  refuseViewOfStoredCode(statement, dialect)
  if (!READ_STARTS.has(word)) return 'write'
  try {
    checkRead(statement, word)
    return 'read'
  } catch {
    return 'write'
  }
}

/** What reaches past the databases, also from a stored program's body (`program`). */
export function refuseServerReach (tokens: readonly Token[], program: boolean): void {
  const where = program ? ' in a stored program (where every unquoted word may begin a statement: quote a name spelt like one)' : ''
  const file = fileAccess(tokens, program)
  if (file !== null) {
    throw new AppError('unsupported_statement',
      `${file} is not supported${where}: it reads or writes files on the database server's host, not data of a database this gateway serves.`)
  }
  const server = serverControl(tokens, program)
  if (server !== null) {
    throw new AppError('unsupported_statement',
      `${server} is not supported${where}: it acts on the database server itself (its process, settings, accounts, logs, replication or the code it loads) or on other connections, not on data of a database this gateway serves: run it as an administrator, with a database client.`)
  }
}

function refuseSessionStatement (word: string): void {
  if (SESSION_STATEMENTS.has(word)) {
    throw new AppError('unsupported_statement',
      `${word} statements are not supported: each request runs on a pooled connection in autocommit mode, so session state and transactions cannot carry over to the next request.`)
  }
}

/**
 * The statement a wrapper runs (TiDB's `TRACE SET GLOBAL …`) is judged as a request's own, one
 * level deep: no server runs a wrapper in another (EXPLAIN ANALYZE's ANALYZE is an option).
 */
function refuseWrapped (statement: readonly Token[], word: string): void {
  const wrapped = wrappedStatement(statement, word)
  if (wrapped === null) return
  refuseSessionStatement(firstKeyword(wrapped).word)
  refuseServerReach(wrapped, false)
}

/**
 * A view whose definition calls anything but the server's built-ins: reading the view runs that
 * function with no call in the reading statement's text, so its connection is kept as after a plain
 * read, and what the function left (a user lock it took, `GET_LOCK('x', 0)`) stays with the pooled
 * connection, holding other sessions' `GET_LOCK('x', …)` for as long as the connection lives. A
 * function redefined later keeps its name, so the view is refused by what it calls, not by the
 * function's body now. An unseeded RAND() likewise draws from the pooled connection's generator
 * unseen, where the reading statement's own RAND() would have its connection reset around it.
 */
function refuseViewOfStoredCode (statement: readonly Token[], dialect: DialectName): void {
  const definition = viewDefinition(statement)
  if (definition !== null && usesConnectionState(definition, dialect)) {
    throw new AppError('unsupported_statement',
      'A view that calls a function other than the server\'s built-ins, or RAND() without a seed, is not supported: reading it would run the function unseen, and what the function leaves on the pooled connection (a lock it takes, the random generator\'s next state) would outlive the request. Call the function in the SELECT that reads the data instead. Nothing was sent to the database.')
  }
}

/** XA's statements, by their second keyword. */
const XA_STATEMENTS = new Set(['START', 'BEGIN', 'END', 'PREPARE', 'COMMIT', 'ROLLBACK', 'RECOVER'])

/**
 * What a stored program's body may not hold besides what a request may not: a view's definition,
 * which the rule above would not see (a request defines its views with a statement of its own);
 * and an XA transaction, which a request refuses as a session's statement: XA PREPARE detaches
 * the transaction from the connection, its locks held, so it would outlive the request and hold
 * the rows it wrote from every session until an administrator ended it.
 */
export function refuseInProgram (tokens: readonly Token[]): void {
  for (const at of statementStarts(tokens, true)) {
    const word = keyword(tokens[at])
    if ((word === 'CREATE' || word === 'ALTER') && at > 0 && definesView(tokens, at)) {
      throw new AppError('unsupported_statement',
        'A view defined in a stored program is not supported: define it with a statement of its own (CREATE VIEW …), where it may call the server\'s built-in functions. Nothing was sent to the database.')
    }
    if (word === 'XA' && XA_STATEMENTS.has(keyword(tokens[at + 1]))) {
      throw new AppError('unsupported_statement',
        'XA transactions are not supported in a stored program: XA PREPARE would leave the transaction, and the locks on every row it wrote, past the request, until an administrator ended it. Use START TRANSACTION … COMMIT in the body. Nothing was sent to the database.')
    }
  }
}
