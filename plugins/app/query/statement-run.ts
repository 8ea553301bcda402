import type { Socket } from 'node:net'
import type { Connection as CoreConnection, FieldPacket, ResultSetHeader } from 'mysql2'
import { ER_QUERY_INTERRUPTED, TIMEOUT_ERRNOS } from '../database/dialect.js'
import { onConnectionLost, type createMysql, type Lease } from '../database/mysql.js'
import type { AppError } from '../errors/errors.js'
import { isConnectionError, toAppError } from '../errors/mysql-errors.js'
import { noRestore, prepareResultFields } from '../patches/mysql2-result-fields.js'
import { resultSetStatus, resultSetWarnings } from '../patches/mysql2-result-status.js'
import { clientClosedRequest, queryTimeout, withDiscard, writeOutcomeUnknown } from './query-errors.js'
import { sendStatement, type Command, type Param, type StatementCommand } from './statement-start.js'

export type { Param }
import { ResultSets, type ReadSet } from './result-sets.js'
import type { SelectItems } from './sql/column-names.js'
import { StatementWatchdog, type ClientConnection } from './statement-watchdog.js'

/** What one statement is run with. */
export interface StatementOptions {
  /** The statement as the server receives it (rebuilt from the classifier's tokens). */
  sql: string
  params: Param[]
  /**
   * The statement only reads, so past the row cap the connection can be closed instead of read to
   * the end. A write's rows (`INSERT … RETURNING`) are read to the end and dropped past the cap:
   * closed mid-result, the server would roll the statement back under an answer of 200.
   */
  read: boolean
  maxRows: number
  maxBytes: number
  timeoutMs: number
  rowsAsArray: boolean
  /** The client's connection, for a read: a read whose client has gone is stopped. */
  client: ClientConnection | null | undefined
  /** Its select list as written, to name the columns after (../query/sql/column-names.ts). */
  columns: SelectItems | null
}

/** What became of a statement that ended. */
export interface Outcome {
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

type Mysql = ReturnType<typeof createMysql>

/** Runs one statement on a leased connection, its rows taken one by one as they arrive. */
export function runStatement (mysql: Mysql, lease: Lease, options: StatementOptions): Promise<Outcome> {
  return new Promise<Outcome>((resolve, reject) => {
    new StatementRun(mysql, lease, options, resolve, reject).start()
  })
}

/**
 * One statement's run as an explicit state: its result sets, the watchdog over its time, and what
 * is known of its connection. Each driver event is one method; `finish` settles the run once.
 */
class StatementRun {
  /** mysql2's own connection: its commands are event emitters, so rows can be taken one by one. */
  private readonly core: CoreConnection & { stream: Socket }
  private readonly answer: ResultSets
  private readonly watchdog: StatementWatchdog
  /** The statement as mysql2 takes it; the rows come as arrays (./values.ts names them). */
  private readonly command: StatementCommand
  private header: ResultSetHeader | undefined
  private settled = false
  /** The connection died: nothing more may be sent on it (mysql2 would emit an uncaught error). */
  private dead = false
  /** The statement itself has gone to the server (not only its PREPARE). */
  private sent = false
  private restoreFields: Array<() => void> | null = null

  constructor (
    private readonly mysql: Mysql,
    private readonly lease: Lease,
    private readonly options: StatementOptions,
    private readonly resolve: (outcome: Outcome) => void,
    private readonly reject: (err: Error) => void
  ) {
    this.core = lease.conn as unknown as CoreConnection & { stream: Socket }
    this.command = { sql: options.sql, rowsAsArray: true }
    this.answer = new ResultSets({ maxRows: options.maxRows, maxBytes: options.maxBytes, rowsAsArray: options.rowsAsArray, binary: this.prepared, columns: options.columns })
    this.watchdog = new StatementWatchdog(options.timeoutMs, options.read ? options.client : undefined, {
      kill: () => { this.mysql.killQuery(this.lease.connectionId).catch(() => {}) },
      abandon: () => this.abandon()
    })
  }

  private get prepared (): boolean {
    return this.options.params.length > 0
  }

  start (): void {
    onConnectionLost(this.lease.conn, (err) => this.lost(err))
    sendStatement(this.core, this.command, this.options.params, {
      sent: (command) => {
        this.sent = true
        this.listen(command)
      },
      refused: (err) => this.failed(err),
      settled: () => this.settled
    })
  }

  private listen (command: Command): void {
    command.on('fields', (fields: FieldPacket[] | undefined) => this.fields(command, fields))
    command.on('result', (row: unknown, index?: number) => this.row(row, index))
    command.on('error', (err: Error) => this.failed(err))
    command.on('end', () => this.ended(command))
  }

  /** A result set's columns; undefined before a status packet (an OK after a write, or the one closing a CALL). */
  private fields (command: Command, fields: FieldPacket[] | undefined): void {
    if (fields === undefined) return
    const kept = this.answer.open(fields)
    // Read from the fields as the server sent them; then prepared for the row parser mysql2 builds
    // right after this event (../patches/mysql2-result-fields.ts).
    const restore = prepareResultFields(command, fields)
    if (restore !== noRestore) (this.restoreFields ??= []).push(restore)
    if (!kept && this.options.read) this.stopEarly()
  }

  /** A row comes with its result's index; a status packet (OK) without one. */
  private row (row: unknown, index: number | undefined): void {
    if (this.settled) return
    if (index === undefined || !this.answer.reading) {
      this.header = row as ResultSetHeader
      return
    }
    // Past the answer's limits (or past max_rows + 1: a statement sql_select_limit does not cap,
    // an explicit LIMIT, SHOW), a read stops: the rest is not read.
    if (!this.answer.add(row as unknown[]) && this.options.read) this.stopEarly()
  }

  private ended (command: Command): void {
    const header = this.header
    const warningCount = header === undefined ? resultSetWarnings(command) : header.warningStatus
    const statusFlags = resultSetStatus(command) | (header === undefined ? 0 : header.serverStatus)
    this.finish(() => this.resolve({ sets: this.answer.sets, header, discard: this.watchdog.killed, warningCount, statusFlags }))
  }

  private failed (err: Error & { errno?: number, fatal?: boolean }): void {
    if (err.fatal === true || isConnectionError(err)) this.dead = true
    const { killed, clientGone } = this.watchdog
    this.finish(() => {
      if (clientGone && err.errno === ER_QUERY_INTERRUPTED) {
        this.reject(withDiscard(clientClosedRequest(), true))
      } else if ((err.errno !== undefined && TIMEOUT_ERRNOS.has(err.errno)) || (killed && err.errno === ER_QUERY_INTERRUPTED)) {
        this.reject(withDiscard(queryTimeout(this.options.timeoutMs), killed))
      } else {
        this.reject(withDiscard(this.dead ? this.lostError(err) : toAppError(err), this.dead || killed))
      }
    })
  }

  /** The connection died under the statement. */
  private lost (err: Error | undefined): void {
    this.dead = true
    const lost = err ?? Object.assign(new Error('Connection lost: the server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true })
    this.finish(() => this.reject(withDiscard(this.lostError(lost), true)))
  }

  /**
   * What a lost connection means to the client: nothing ran, or, once a write was sent, nobody
   * knows: it may have committed before the connection went, so "retry" could apply it twice.
   */
  private lostError (err: Error): AppError {
    return !this.options.read && this.sent ? writeOutcomeUnknown() : toAppError(err)
  }

  /** The statement outlived its KILL QUERY. */
  private abandon (): void {
    const { read, timeoutMs } = this.options
    this.finish(() => {
      this.stopReading()
      this.reject(withDiscard(this.watchdog.clientGone ? clientClosedRequest() : read ? queryTimeout(timeoutMs) : writeOutcomeUnknown(timeoutMs), true))
    })
  }

  /** The answer is full: the rows read so far are the answer, the rest is not read. */
  private stopEarly (): void {
    this.finish(() => {
      this.stopReading()
      this.resolve({ sets: this.answer.sets, header: this.header, discard: true, warningCount: 0, statusFlags: 0 })
    })
  }

  /**
   * Closes the socket: the server stops sending, nothing more is parsed; the pool replaces the
   * connection. (mysql2's destroy() only ends its side of the socket, and the server sends on.)
   */
  private stopReading (): void {
    this.core.pause()
    this.core.stream.destroy()
  }

  private finish (settle: () => void): void {
    if (this.settled) return
    this.settled = true
    this.watchdog.stop()
    onConnectionLost(this.lease.conn, null)
    if (this.restoreFields !== null) for (const restore of this.restoreFields) restore()
    // Prepared statements live on the connection until closed; mysql2 takes the options object here.
    if (this.prepared && !this.dead) this.core.unprepare(this.command as unknown as string)
    settle()
  }
}
