import { randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import type { Socket } from 'node:net'
import type { Connection as CoreConnection, FieldPacket, ResultSetHeader } from 'mysql2'
import type { RowDataPacket } from 'mysql2/promise'
import { columnTypeName, isNullableField } from './column-types.js'
import { ER_QUERY_INTERRUPTED, TIMEOUT_ERRNOS } from '../database/dialect.js'
import { AppError } from '../errors/errors.js'
import { isConnectionError, toAppError } from '../errors/mysql-errors.js'
import { noRestore, prepareResultFields } from '../patches/mysql2-result-fields.js'
import { resultSetStatus, resultSetWarnings } from '../patches/mysql2-result-status.js'
import { memoize } from '../memo.js'
import { classify, type Statement } from './sql/classifier.js'
import type { SqlServer } from './sql/server.js'
import { cutToFit, cuttableColumns, rowSize } from './answer-size.js'
import { resultReader, type RowConverter } from './values.js'
import type { ResultColumn } from '../../../schemas/query.js'
import { onConnectionLost, type Aftercare, type createMysql, type Lease } from '../database/mysql.js'

declare module 'fastify' {
  interface FastifyInstance {
    queryRunner: ReturnType<typeof createQueryRunner>
  }
}

export type RowFormat = 'object' | 'array'
export type Param = string | number | boolean | null

export interface QueryRequest {
  queryId?: string
  /** Whose turn it waits in for a connection (the session: plugins/app/database/fair-share.ts). */
  owner?: string
  database: string
  sql: string
  params?: Param[] | undefined
  maxRows: number
  /** About how large the answer's rows may be on the wire (see `rowSize`); a first row past it is cut to fit. */
  maxBytes: number
  timeoutMs: number
  rowFormat: RowFormat
  /**
   * The connection the request came on (HTTP): a read still running when it has closed, looked at
   * every CLIENT_CHECK_MS, is stopped.
   */
  client?: ClientConnection | null | undefined
}

/** What the runner needs of the client's connection: a socket. */
export interface ClientConnection {
  readonly destroyed: boolean
}

/** One result set of a statement (a CALL can answer several). */
export interface ResultSet {
  columns: ResultColumn[]
  rows: unknown[]
  row_count: number
  truncated: boolean
}

export interface QueryResult extends ResultSet {
  query_id: string
  /** Values of the first row cut to fit the answer's budget, and their columns (plugins/app/query/answer-size.ts). */
  truncated_values?: number
  truncated_columns?: string[]
  /** The result sets after the first: a CALL's procedure may SELECT more than once. */
  more_results?: ResultSet[]
  affected_rows?: number
  insert_id?: string
  warnings?: QueryWarning[]
  execution_time_ms: number
}

/** A result set as it is read: its rows converted, capped at max_rows and at the answer's byte budget. */
interface ReadSet {
  fields: FieldPacket[]
  /** Object rows' keys where two columns share a name (the answer's `columns` name them so). */
  keys: string[] | null
  rows: unknown[]
  truncated: boolean
  convert: RowConverter
  /** What each row's keys add to the answer (object rows). */
  keyBytes: number
  /** Which columns may be cut to fit the answer's budget (plugins/app/query/answer-size.ts). */
  cuttable: boolean[]
  /** The columns of its first row that were cut to fit the budget, or null. */
  cut: string[] | null
}

interface Outcome {
  /** The statement's result sets, in order; none for a statement that answers no rows. */
  sets: ReadSet[]
  header: ResultSetHeader | undefined
  /** The connection stopped mid-result or its state is unknown: close it, do not reuse it. */
  discard: boolean
  /** How many warnings the statement left on the connection. */
  warningCount: number
  /** Its result sets' and closing packet's server status flags, together. */
  statusFlags: number
}

export interface QueryWarning {
  level: string
  code: number
  message: string
}

/** How long reading a statement's warnings (SHOW WARNINGS, on its connection) may take. */
const WARNINGS_TIMEOUT_MS = 2000

/** How often a running read looks whether its client is still connected. */
const CLIENT_CHECK_MS = 500
/** Past the timeout, the server-side limit has had this long to act before KILL QUERY is sent. */
const KILL_GRACE_MS = 500
/** After KILL QUERY, how long the statement may take to end before its connection is closed. */
const ABANDON_AFTER_MS = 2000
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
 */
export function createQueryRunner (mysql: Mysql, readOnly: boolean) {
  // A statement's reading depends on its text alone (the mode and the server are fixed here):
  // clients send the same statements again and again, so short ones are read once. A statement
  // that is refused is not remembered (its error is thrown again each time).
  // The server is known once the first statement has waited for it.
  let readStatement: ((sql: string) => Statement) | undefined
  const reader = async (): Promise<(sql: string) => Statement> => {
    const server: SqlServer = await mysql.server()
    readStatement ??= memoize(CLASSIFY_MEMO_SIZE, (text) => classify(text, readOnly, server), CLASSIFY_MEMO_MAX_CHARS)
    return readStatement
  }
  return {
    async run (request: QueryRequest): Promise<QueryResult> {
      const statement = (readStatement ?? await reader())(request.sql)
      const queryId = request.queryId ?? randomUUID()
      const lease = await mysql.acquire(request.database, {
        timeoutMs: request.timeoutMs,
        selectLimit: request.maxRows + 1
      }, request.owner)
      if (request.client?.destroyed === true) {
        // It waited for a connection, and its client did not: nothing is sent.
        lease.release('keep')
        throw clientClosedRequest()
      }
      const started = performance.now()
      let outcome: Outcome
      try {
        outcome = await execute(mysql, lease, request, statement.text, statement.kind === 'read')
      } catch (err) {
        // A statement that failed may still have changed its connection: a stored function's or a
        // procedure's statements before its error (a user variable, a temporary table, an open
        // transaction) stay, and an error packet says nothing of the session's state.
        lease.release((err as { discard?: boolean }).discard === true ? 'discard' : 'reset')
        throw err
      }
      if (statement.kind === 'write' && !outcome.discard && outcome.header !== undefined &&
        (outcome.header.serverStatus & SERVER_STATUS_IN_TRANS) !== 0) {
        // A procedure began a transaction and did not end it: it is rolled back now, before the
        // answer says so (the reset that follows would roll it back too, after the answer).
        await rollBack(lease)
        lease.release('reset')
        throw transactionLeftOpen()
      }
      const executionTimeMs = Math.round((performance.now() - started) * 1000) / 1000
      // The statement's own warnings, read on its connection before anything else runs there.
      const warnings = outcome.warningCount > 0 && !outcome.discard ? await readWarnings(lease) : undefined
      lease.release(aftercare(statement, outcome, warnings === null))

      // Written out, not spread: this is every query's answer, and one shape of object.
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
      if (warnings !== undefined && warnings !== null) result.warnings = warnings
      return result
    }
  }
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

/** About the JSON size of a result set in `more_results` without its rows: its columns and fixed fields. */
function resultSetSize (fields: FieldPacket[]): number {
  let size = 64
  for (let i = 0; i < fields.length; i++) size += fields[i]!.name.length + 48
  return size
}

function columnNames ({ fields, keys }: ReadSet): string[] {
  return keys ?? fields.map((field) => field.name)
}

function columnsOf ({ fields, keys }: ReadSet): ResultColumn[] {
  return fields.map((field, i) => ({ name: keys === null ? field.name : keys[i]!, type: columnTypeName(field), nullable: isNullableField(field) }))
}

function resultSet (set: ReadSet): ResultSet {
  return {
    columns: columnsOf(set),
    rows: set.rows,
    row_count: set.rows.length,
    truncated: set.truncated
  }
}

/**
 * `sql`: the statement as the server receives it (rebuilt from the classifier's tokens).
 * `read`: the statement only reads, so past the row cap the connection can be closed instead of
 * read to the end. A write's rows (`INSERT … RETURNING`) are read to the end and dropped past the
 * cap: closed mid-result, the server rolled the statement back, under an answer of 200.
 */
function execute (mysql: Mysql, lease: Lease, request: QueryRequest, sql: string, read: boolean): Promise<Outcome> {
  // mysql2's own connection: its commands are event emitters, so rows can be taken one by one
  // instead of buffered.
  const core = lease.conn as unknown as CoreConnection & { stream: Socket }
  const rowsAsArray = request.rowFormat === 'array'
  // Rows come as arrays (the pool's rowsAsArray, said again for a prepared statement): values.ts names them.
  const options = { sql, rowsAsArray: true }
  const params = request.params ?? []
  const prepared = params.length > 0

  return new Promise<Outcome>((resolve, reject) => {
    const sets: ReadSet[] = []
    /** The result set whose rows are coming. */
    let current: ReadSet | undefined
    let header: ResultSetHeader | undefined
    let bytes = 0
    let killed = false
    /** The client went away and the read was stopped for that (KILL QUERY). */
    let abandoned = false
    let settled = false
    let restoreFields: Array<() => void> | null = null
    /** The connection died: nothing more may be sent on it (mysql2 would emit an uncaught error). */
    let dead = false
    /** The statement itself has gone to the server (not only its PREPARE). */
    let sent = false
    /**
     * What a lost connection means to the client: nothing ran, or, once a write was sent, nobody
     * knows: it may have committed before the connection went, so "retry" could apply it twice.
     */
    const lostError = (err: Error): AppError => !read && sent ? writeOutcomeUnknown() : toAppError(err)

    const finish = (settle: () => void): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      onConnectionLost(lease.conn, null)
      if (restoreFields !== null) for (const restore of restoreFields) restore()
      // Prepared statements live on the connection until closed; mysql2 takes the options object here.
      if (prepared && !dead) core.unprepare(options as unknown as string)
      settle()
    }
    const stopReading = (): void => {
      // Close the socket: the server stops sending, nothing more is parsed; the pool replaces it.
      // (mysql2's destroy() only ends its side of the socket, and the server sent on.)
      core.pause()
      core.stream.destroy()
    }

    onConnectionLost(lease.conn, (err?: Error): void => {
      dead = true
      const lost = err ?? Object.assign(new Error('Connection lost: the server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true })
      finish(() => reject(Object.assign(lostError(lost), { discard: true })))
    })

    // One timer at a time (most statements end long before the first): past the timeout and a
    // grace, KILL QUERY; if the statement still has not ended a while later, abandon it (a write
    // abandoned so may yet commit: its outcome is unknown).
    // A connection KILL QUERY was sent for is never reused: the statement may end on its own
    // while the KILL is on its way, and the KILL would then stop the next request's statement.
    // A read whose client has gone (its connection closed: a closed tab, a client's own timeout)
    // is stopped the same way: nobody will see its rows. Its connection is looked at every
    // CLIENT_CHECK_MS rather than listened to: a listener on each request's connection or answer
    // cost the query route about 15 % of its CPU per request (npm run bench). A write runs on:
    // its client cannot learn its outcome either way, and stopping it would not make that surer.
    const limitMs = request.timeoutMs + KILL_GRACE_MS
    const client = read ? request.client : undefined
    const kill = (): void => {
      killed = true
      mysql.killQuery(lease.connectionId).catch(() => {})
      timer = setTimeout(() => {
        finish(() => {
          stopReading()
          reject(Object.assign(abandoned ? clientClosedRequest() : read ? queryTimeout(request.timeoutMs) : writeOutcomeUnknown(request.timeoutMs), { discard: true }))
        })
      }, ABANDON_AFTER_MS)
    }
    let checkedMs = 0
    const check = (): void => {
      checkedMs += Math.min(CLIENT_CHECK_MS, limitMs - checkedMs)
      if (client?.destroyed === true) {
        abandoned = true
        kill()
      } else if (checkedMs >= limitMs) {
        kill()
      } else {
        timer = setTimeout(check, Math.min(CLIENT_CHECK_MS, limitMs - checkedMs))
      }
    }
    let timer = client === undefined || client === null ? setTimeout(kill, limitMs) : setTimeout(check, Math.min(CLIENT_CHECK_MS, limitMs))

    /** The statement's rows, as mysql2 emits them. */
    const listen = (command: ReturnType<CoreConnection['query']>): void => {
      command.on('fields', (received: FieldPacket[] | undefined) => {
        // Undefined before a status packet (an OK after a write, or the one closing a CALL).
        if (received === undefined) return
        // Its rows come next: mysql2 emits a result set's fields, then its rows, then the next
        // set's fields. Read from the fields as the server sent them; then they are prepared for
        // the row parser mysql2 builds right after this event (plugins/app/patches/mysql2-result-fields.ts).
        const reader = resultReader(received, rowsAsArray, prepared)
        const names = reader.keys ?? received.map((field) => field.name)
        const keyBytes = rowsAsArray ? 0 : names.reduce((sum, key) => sum + key.length + 3, 0)
        current = { fields: received, keys: names, rows: [], truncated: false, convert: reader.convert, keyBytes, cuttable: cuttableColumns(received), cut: null }
        const restore = prepareResultFields(command, received)
        if (restore !== noRestore) (restoreFields ??= []).push(restore)
        if (sets.length > 0) {
          // A later result set (a CALL's) counts toward the answer's size with its columns, so a
          // procedure that SELECTs in a loop cannot build an answer of millions of empty sets
          // (100,000 of them had held 130 MB). Past the size, the answer stops: the last set in it
          // says truncated, and the sets after it are read (a write) but not kept.
          bytes += resultSetSize(received)
          if (bytes > request.maxBytes) {
            sets[sets.length - 1]!.truncated = true
            current.truncated = true
            if (read) finish(() => { stopReading(); resolve({ sets, header, discard: true, warningCount: 0, statusFlags: 0 }) })
            return
          }
        }
        sets.push(current)
      })
      command.on('result', (row: unknown, index?: number) => {
        if (settled) return
        // A row comes with its result's index; a status packet (OK) without one: the statement's
        // only answer for a write, and the last one after a CALL's result sets.
        if (index === undefined || current === undefined) {
          header = row as ResultSetHeader
          return
        }
        const set = current
        if (!set.truncated) {
          if (set.rows.length < request.maxRows) {
            const size = rowSize(row, request.maxBytes - bytes) + set.keyBytes
            if (bytes + size <= request.maxBytes) {
              bytes += size
              set.rows.push(set.convert(row as unknown[]))
              return
            }
            if (set.rows.length === 0 && set === sets[0]) {
              // A first row larger than the whole budget: its long values are cut to fit, and
              // the answer says which; never sent whole.
              const fitted = cutToFit(row, columnNames(set), set.cuttable, request.maxBytes - bytes - set.keyBytes)
              bytes = request.maxBytes
              set.cut = fitted.cut
              set.truncated = true
              set.rows.push(set.convert(fitted.row as unknown[]))
              return
            }
            bytes += size // past the budget: no later result set is kept either
          }
          set.truncated = true
          // The one row past max_rows that sql_select_limit lets through: the result ends next.
          if (set.rows.length === request.maxRows) return
        }
        if (read) {
          // Past the answer's size, or more than max_rows + 1 (a statement sql_select_limit does
          // not cap: an explicit LIMIT, SHOW): the rest is not read.
          finish(() => {
            stopReading()
            resolve({ sets, header, discard: true, warningCount: 0, statusFlags: 0 })
          })
        }
      })
      command.on('error', failed)
      command.on('end', () => {
        const warningCount = header === undefined ? resultSetWarnings(command) : header.warningStatus
        const statusFlags = resultSetStatus(command) | (header === undefined ? 0 : header.serverStatus)
        finish(() => resolve({ sets, header, discard: killed, warningCount, statusFlags }))
      })
    }
    const failed = (err: Error & { errno?: number, fatal?: boolean }): void => {
      if (err.fatal === true || isConnectionError(err)) dead = true
      finish(() => {
        if (abandoned && err.errno === ER_QUERY_INTERRUPTED) {
          reject(Object.assign(clientClosedRequest(), { discard: true }))
        } else if ((err.errno !== undefined && TIMEOUT_ERRNOS.has(err.errno)) || (killed && err.errno === ER_QUERY_INTERRUPTED)) {
          reject(Object.assign(queryTimeout(request.timeoutMs), { discard: killed }))
        } else {
          reject(Object.assign(dead ? lostError(err) : toAppError(err), { discard: dead || killed }))
        }
      })
    }

    if (!prepared) {
      sent = true
      listen(core.query(sql))
      return
    }
    // The server counts the statement's placeholders when it prepares it. Executed with more
    // values than that, MariaDB 10.11 read the extra bytes as the first values: SELECT ? with
    // [1, 2] answered 2.5e-323, and an INSERT stored a row. So the count is checked before
    // anything runs (fewer values than placeholders the server refuses, with errno 1210).
    // The execute that follows finds the statement in mysql2's per-connection cache: no second
    // round trip.
    core.prepare(options as unknown as string, (err, statement) => {
      if (settled) return
      if (err !== null) {
        failed(err)
        return
      }
      // mysql2 keeps the server's parameter definitions (one per placeholder); its types omit them.
      const expected = (statement as unknown as { parameters?: unknown[] }).parameters?.length ?? 0
      if (expected !== params.length) {
        finish(() => reject(paramCountMismatch(expected, params.length)))
        return
      }
      sent = true
      listen(core.execute({ ...options, values: params }))
    })
  })
}

/**
 * SHOW WARNINGS on the statement's own connection, right after it (clients cannot: theirs may run
 * on another connection). Null when it could not be read, and the connection is then not reused.
 */
async function readWarnings (lease: Lease): Promise<QueryWarning[] | null> {
  try {
    const [rows] = await lease.conn.promise().query<Array<{ Level: string, Code: number, Message: string } & RowDataPacket>>(
      { sql: 'SHOW WARNINGS', timeout: WARNINGS_TIMEOUT_MS, rowsAsArray: false })
    return rows.map((row) => ({ level: row.Level, code: Number(row.Code), message: row.Message }))
  } catch {
    return null
  }
}

/** Rolls back a transaction the statement left open; if that fails, closing the connection does. */
async function rollBack (lease: Lease): Promise<void> {
  try {
    await lease.conn.promise().query({ sql: 'ROLLBACK', timeout: WARNINGS_TIMEOUT_MS })
  } catch {}
}

function transactionLeftOpen (): AppError {
  return new AppError(400, 'transaction_left_open',
    'The statement began a transaction and did not end it (a procedure\'s START TRANSACTION without COMMIT): it was rolled back, so nothing it wrote to transactional tables was kept. Each request runs on its own, in autocommit mode: COMMIT inside the procedure.')
}

function paramCountMismatch (expected: number, given: number): AppError {
  return new AppError(400, 'param_count_mismatch',
    `The statement has ${expected} placeholder${expected === 1 ? '' : 's'} (?) but ${given} value${given === 1 ? ' was' : 's were'} given in params; nothing ran.`,
    { placeholders: expected, params: given })
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

/** A write that may or may not have taken effect: the connection was lost, or (with `timeoutMs`) the statement outlived its KILL. */
function writeOutcomeUnknown (timeoutMs?: number): AppError {
  const what = timeoutMs === undefined
    ? 'The connection to the database was lost while the statement ran'
    : `The statement ran past its timeout (${timeoutMs} ms) and had not ended ${ABANDON_AFTER_MS} ms after KILL QUERY`
  return new AppError(502, 'write_outcome_unknown', `${what}: it may or may not have taken effect. Check before running it again.`,
    timeoutMs === undefined ? undefined : { timeout_ms: timeoutMs })
}

/**
 * The client closed its connection before the answer (nginx's 499): never sent, since nobody is
 * there to read it; the history records it.
 */
function clientClosedRequest (): AppError {
  return new AppError(499, 'client_closed_request', 'The client closed its connection before the answer: the read was stopped on the database server.')
}

function queryTimeout (timeoutMs: number): AppError {
  return new AppError(504, 'query_timeout',
    `The statement ran longer than its timeout (${timeoutMs} ms) and was stopped on the database server.`,
    { timeout_ms: timeoutMs })
}

export default fp(async function queryRunnerPlugin (fastify) {
  fastify.decorate('queryRunner', createQueryRunner(fastify.mysql, fastify.config.READ_ONLY))
}, { name: 'query-runner', dependencies: ['config', 'mysql'] })
