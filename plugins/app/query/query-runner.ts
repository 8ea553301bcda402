import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import type { RowDataPacket } from 'mysql2/promise'
import { memoize } from '../memo.js'
import { classify, type Statement } from './sql/classifier.js'
import { namesWritten, quotedAsWritten, type WrittenNames } from './sql/error-text.js'
import type { SqlServer } from './sql/server.js'
import { clientClosedRequest, requireParams, transactionLeftOpen } from './query-errors.js'
import { columnsOf, resultSet } from './result-sets.js'
import { runStatement, type Outcome, type Param } from './statement-run.js'
import type { ClientConnection } from './statement-watchdog.js'
import type { QueryResult, QueryWarning } from '../../../schemas/query.js'
import type { Aftercare, createMysql, Lease } from '../database/mysql.js'
import { driverValues } from '../database/pool-options.js'

declare module 'fastify' {
  interface FastifyInstance {
    queryRunner: ReturnType<typeof createQueryRunner>
  }
}

export type { ClientConnection, Param }

/** Where a query comes from: the request's connection, and its client's address. */
export interface Caller {
  /** A read still running when it has closed is stopped. */
  client?: ClientConnection | undefined
  /** The sessions of one address share a cap on the pool (../database/fair-share.ts). */
  address?: string | undefined
}
export type RowFormat = 'object' | 'array'

export interface QueryRequest {
  queryId?: string
  /** Whose turn it waits in for a connection (the session: ../database/fair-share.ts). */
  owner?: string
  /** The owner's group, whose sessions share a cap on the pool: its client's address. */
  group?: string | undefined
  database: string
  sql: string
  params?: Param[] | undefined
  maxRows: number
  /** About how large the answer's rows may be on the wire (./answer-size.ts); a first row past it is cut to fit. */
  maxBytes: number
  timeoutMs: number
  rowFormat: RowFormat
  /** The connection the request came on (HTTP): a read still running when it has closed is stopped. */
  client?: ClientConnection | null | undefined
}

/** How long reading a statement's warnings (SHOW WARNINGS, on its connection) may take. */
const WARNINGS_TIMEOUT_MS = 2000
const SERVER_SESSION_STATE_CHANGED = 0x4000
/** The OK packet's status flag: a transaction is open on the connection. */
const SERVER_STATUS_IN_TRANS = 0x0001
/** Statements whose reading is remembered, and the longest one remembered (at most about 4 MB together). */
const CLASSIFY_MEMO_SIZE = 1000
const CLASSIFY_MEMO_MAX_CHARS = 1024

type Mysql = ReturnType<typeof createMysql>

/**
 * Runs one statement of a session, safely:
 * - the classifier decides before anything reaches the database (read-only by default), and the
 *   server runs the text rebuilt from the tokens it judged, never the client's own;
 * - the server enforces the timeout (KILL QUERY is the fallback) and caps top-level SELECTs at
 *   max_rows + 1 rows; rows are streamed, never buffered past the cap;
 * - `params` are bound by a server-side prepared statement, closed afterwards;
 * - a connection whose session state may have changed is reset before it serves anyone else:
 *   after a write, a failed statement, a read that calls a function not known as built-in, or a
 *   read the server reports changed its session; closed instead when its state is unknown.
 * A statement's reading depends on its text alone (the mode and the server are fixed here):
 * clients send the same statements again and again, so short ones are read once. A statement
 * that is refused is not remembered (its error is thrown again each time). The server is known
 * once the first statement has waited for it.
 */
export function createQueryRunner (mysql: Mysql, readOnly: boolean) {
  let readStatement: ((sql: string) => Statement) | undefined
  let server: SqlServer | undefined
  const reader = async (): Promise<(sql: string) => Statement> => {
    const connected: SqlServer = server ??= await mysql.server()
    readStatement ??= memoize(CLASSIFY_MEMO_SIZE, (text) => classify(text, readOnly, connected), CLASSIFY_MEMO_MAX_CHARS)
    return readStatement
  }
  return {
    /** The server's error for `statement`, a syntax error's quote in the client's text `sql` (./sql/error-text.ts). */
    quotedAsWritten: (err: unknown, sql: string, statement: Statement): unknown => quotedAsWritten(err, sql, statement.text, server),

    /** The names and tables `sql` spells, as the connected server reads it (./sql/error-text.ts). */
    namesIn: (sql: string): WrittenNames => namesWritten(sql, server),

    /** A statement as the gateway reads it (refused as `run` would refuse it): for exports. */
    async read (sql: string): Promise<Statement> {
      return (readStatement ?? await reader())(sql)
    },

    async run (request: QueryRequest): Promise<QueryResult> {
      const statement = (readStatement ?? await reader())(request.sql)
      requireParams(statement, request.params)
      const queryId = request.queryId ?? randomUUID()
      const lease = await mysql.acquire(request.database, {
        timeoutMs: request.timeoutMs,
        selectLimit: request.maxRows + 1
      }, request.owner, request.group, statement.resetsConnection)
      if (request.client?.destroyed === true) {
        // It waited for a connection, and its client did not: nothing is sent.
        lease.release('keep')
        throw clientClosedRequest()
      }
      const started = performance.now()
      const outcome = await runOn(lease, request, statement)
      const executionTimeMs = Math.round((performance.now() - started) * 1000) / 1000
      // The statement's own warnings, read on its connection before anything else runs there.
      const warnings = outcome.warningCount > 0 && !outcome.discard ? await readWarnings(lease) : undefined
      // A connection the statement may have changed (a write, a lock, a variable) is reset before
      // the answer goes out: nothing of this statement's session outlives its answer.
      const resetting = lease.release(aftercare(statement, outcome, warnings === null))
      if (resetting !== undefined) await resetting
      return resultOf(queryId, outcome, executionTimeMs, warnings ?? undefined)
    }
  }

  /** Runs the statement on its lease; a failure, or a transaction it left open, releases the lease. */
  async function runOn (lease: Lease, request: QueryRequest, statement: Statement): Promise<Outcome> {
    let outcome: Outcome
    try {
      outcome = await runStatement(mysql, lease, {
        sql: statement.text,
        params: request.params ?? [],
        read: statement.kind === 'read',
        maxRows: request.maxRows,
        maxBytes: request.maxBytes,
        timeoutMs: request.timeoutMs,
        rowsAsArray: request.rowFormat === 'array',
        client: request.client,
        columns: statement.columns
      })
    } catch (err) {
      // A statement that failed may still have changed its connection: a stored function's or a
      // procedure's statements before its error (a user variable, a temporary table, an open
      // transaction) stay, and an error packet says nothing of the session's state.
      await lease.release((err as { discard?: boolean }).discard === true ? 'discard' : 'reset')
      throw quotedAsWritten(err, request.sql, statement.text, server)
    }
    if (statement.kind === 'write' && !outcome.discard && outcome.header !== undefined &&
      (outcome.header.serverStatus & SERVER_STATUS_IN_TRANS) !== 0) await endLeftTransaction(lease)
    return outcome
  }
}

/** The answer of a statement that ended. Written out, not spread: this is every query's answer, and one shape of object. */
function resultOf (queryId: string, outcome: Outcome, executionTimeMs: number, warnings: QueryWarning[] | undefined): QueryResult {
  const sets = outcome.sets
  const first = sets[0]
  const result: QueryResult = {
    query_id: queryId,
    columns: first === undefined ? [] : columnsOf(first),
    rows: first === undefined ? [] : first.rows,
    row_count: first === undefined ? 0 : first.rows.length,
    truncated: first !== undefined && first.truncated,
    execution_time_ms: executionTimeMs
  }
  if (first?.cut != null && first.cut.length > 0) {
    result.truncated_values = first.cut.length
    result.truncated_columns = first.cut
  }
  if (sets.length > 1) result.more_results = sets.slice(1).map(resultSet)
  if (outcome.header !== undefined) {
    result.affected_rows = outcome.header.affectedRows
    const insertId = unsignedInsertId(outcome.header.insertId)
    if (insertId !== null) result.insert_id = insertId
  }
  if (warnings !== undefined) result.warnings = warnings
  return result
}

/**
 * What becomes of the connection after a statement that ended: closed when it stopped mid-result
 * or its warnings could not be read; reset when the statement may have left session state (a
 * write, a call the gateway does not know as built-in, or the server's own report that the
 * session changed: a second signal, which a stored function can switch off, so never the only one).
 */
function aftercare (statement: Statement, outcome: Outcome, warningsUnread: boolean): Aftercare {
  if (outcome.discard || warningsUnread) return 'discard'
  if (statement.resetsConnection || (outcome.statusFlags & SERVER_SESSION_STATE_CHANGED) !== 0) return 'reset'
  return 'keep'
}

/**
 * SHOW WARNINGS on the statement's own connection, right after it (clients cannot: theirs may run
 * on another connection). Null when it could not be read, and the connection is then not reused.
 */
async function readWarnings (lease: Lease): Promise<QueryWarning[] | null> {
  try {
    const [rows] = await lease.conn.promise().query<Array<{ Level: string, Code: number, Message: string } & RowDataPacket>>(
      { sql: 'SHOW WARNINGS', timeout: WARNINGS_TIMEOUT_MS, rowsAsArray: false, typeCast: driverValues })
    return rows.map((row) => ({ level: row.Level, code: Number(row.Code), message: row.Message }))
  } catch {
    return null
  }
}

/**
 * A procedure began a transaction and did not end it: it is rolled back now, before the answer
 * says so (the reset that follows would roll it back too, after the answer), and the lease is
 * released. One ROLLBACK cannot end is an XA transaction the procedure prepared: its connection
 * is closed, not reset, which leaves the transaction to XA RECOVER (MariaDB keeps a prepared XA
 * transaction that a reset connection held, locks and all, past an XA ROLLBACK).
 */
async function endLeftTransaction (lease: Lease): Promise<never> {
  let rolledBack = true
  try {
    await lease.conn.promise().query({ sql: 'ROLLBACK', timeout: WARNINGS_TIMEOUT_MS })
  } catch {
    rolledBack = false
  }
  await lease.release(rolledBack ? 'reset' : 'discard')
  throw transactionLeftOpen(rolledBack)
}

/**
 * The OK packet's last insert id, unsigned as the protocol has it: mysql2 reads it as signed (a
 * BIGINT UNSIGNED id past 2^63 would be negative), as a number below 2^53 and a string above.
 * Null for 0: the statement generated no id.
 */
function unsignedInsertId (value: number | string | null | undefined): string | null {
  if (value === null || value === undefined || value === 0 || value === '0') return null
  return BigInt.asUintN(64, BigInt(value)).toString()
}

export default fp(async function queryRunnerPlugin (fastify) {
  fastify.decorate('queryRunner', createQueryRunner(fastify.mysql, fastify.config.READ_ONLY))
}, { name: 'query-runner', dependencies: ['config', 'mysql'] })
