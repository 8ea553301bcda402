import { Readable } from 'node:stream'
import type { Socket } from 'node:net'
import type { Connection as CoreConnection, FieldPacket, ResultSetHeader } from 'mysql2'
import { ER_QUERY_INTERRUPTED, TIMEOUT_ERRNOS } from '../database/dialect.js'
import { onConnectionLost, type Lease, type Mysql } from '../database/mysql.js'
import type { AppError } from '../errors/errors.js'
import { toAppError } from '../errors/mysql-errors.js'
import { noRestore, prepareResultFields } from '../patches/mysql2-result-fields.js'
import { resultSetStatus } from '../patches/mysql2-result-status.js'
import { clientClosedRequest, queryTimeout } from '../query/query-errors.js'
import { clientNames, type SelectItems } from '../query/sql/column-names.js'
import { geometryAsBytes } from '../query/values.js'
import { sendStatement, type Command, type Param, type StatementCommand } from '../query/statement-start.js'
import { StatementWatchdog, type ClientConnection } from '../query/statement-watchdog.js'
import { Chunks } from './chunks.js'
import { exportColumns, type ExportColumn } from './columns.js'
import { CsvRows } from './csv-rows.js'
import { readerStalled } from './export-errors.js'
import { JsonRows } from './json-rows.js'

export type ExportFormat = 'csv' | 'ndjson' | 'json'

export interface ExportRunOptions {
  sql: string
  params: Param[]
  format: ExportFormat
  /** CSV: a field a spreadsheet would run as a formula gets a leading apostrophe (./formulas.ts). */
  escapeFormulas: boolean
  maxRows: number
  timeoutMs: number
  /** The request's connection: a client gone stops the statement. */
  client: ClientConnection
  /** How long a client may read nothing before its connection is closed (REQUEST_TIMEOUT_MS). */
  stallMs: number
  /** The statement may leave session state on its connection (see ../query/sql/classifier.ts). */
  resetsConnection: boolean
  /** Its select list as written, to name the columns after (../query/sql/column-names.ts). */
  columns: SelectItems | null
}

export interface ExportOutcome {
  /** Null when every row went out; else why the export stopped. */
  error: AppError | null
  rowCount: number
  truncated: boolean
  executionTimeMs: number
}

/** Bytes handed to the response at a time, and how many may wait unread before the database is paused. */
const CHUNK_BYTES = 256 * 1024
const HIGH_WATER_MARK = 1024 * 1024
const SERVER_SESSION_STATE_CHANGED = 0x4000

/**
 * One export: its statement's first result set streamed as CSV, NDJSON or JSON, read from the
 * database only as fast as the client takes it (the connection is paused while a megabyte waits
 * unread). `started` settles when the rows' columns are known, or with the error that refuses the
 * export before its first byte; a failure after it destroys the stream, so the response ends
 * without its final chunk. `done` says how it ended, for the history.
 */
export class ExportRun extends Readable {
  readonly started: Promise<ExportColumn[]>
  readonly done: Promise<ExportOutcome>
  private readonly core: CoreConnection & { stream: Socket }
  /** The statement as mysql2 takes it (and the key of its prepared statement). */
  private readonly command: StatementCommand
  private readonly out = new Chunks(CHUNK_BYTES)
  private readonly watchdog: StatementWatchdog
  private readonly startedAt = performance.now()
  private writer: CsvRows | JsonRows | null = null
  private header: ResultSetHeader | undefined
  private restore: () => void = noRestore
  private rows = 0
  /** Rows past max_rows: one is the row sql_select_limit lets through to say there were more. */
  private extra = 0
  private truncated = false
  private paused = false
  private lastRead = Date.now()
  private settled = false
  /** The connection is closed or may hold more of the result: it is not reused. */
  private discard = false
  private resolveStarted!: (columns: ExportColumn[]) => void
  private rejectStarted!: (err: AppError) => void
  private resolveDone!: (outcome: ExportOutcome) => void

  constructor (private readonly mysql: Mysql, private readonly lease: Lease, private readonly options: ExportRunOptions) {
    super({ highWaterMark: HIGH_WATER_MARK })
    this.core = lease.conn as unknown as CoreConnection & { stream: Socket }
    this.started = new Promise((resolve, reject) => { this.resolveStarted = resolve; this.rejectStarted = reject })
    this.started.catch(() => {})
    this.done = new Promise((resolve) => { this.resolveDone = resolve })
    // A failure is told through `done`, and to the response through the stream's errored state
    // (Fastify looks at it once it takes the stream): it is never an uncaught 'error' event.
    this.on('error', () => {})
    this.watchdog = new StatementWatchdog(options.timeoutMs, options.client, { kill: () => this.stop(), abandon: () => {} })
    onConnectionLost(lease.conn, (err) => this.fail(toAppError(err ?? new Error('connection lost'))))
    const prepared = options.params.length > 0
    // Without params, every value as the bytes sent (./columns.ts reads them); with params, mysql2's
    // values of the binary protocol, spatial ones as their bytes, as for a query.
    this.command = { sql: options.sql, rowsAsArray: true, typeCast: prepared ? geometryAsBytes : false }
    sendStatement(this.core, this.command, options.params, {
      sent: (command) => this.listen(command, prepared),
      refused: (err) => this.fail(toAppError(err)),
      settled: () => this.settled
    })
  }

  override _read (): void {
    this.lastRead = Date.now()
    if (this.paused && !this.settled) {
      this.paused = false
      this.core.resume()
    }
  }

  override _destroy (err: Error | null, callback: (err?: Error | null) => void): void {
    // The response went away before the last row: its client closed it, or stopped reading and its
    // connection was closed (../edge/unread-answers.ts closes one whose answer has not moved for
    // REQUEST_TIMEOUT_MS), as it had if the rows waited for it most of that time.
    if (!this.settled) this.settle(this.goneError(), true)
    callback(err)
  }

  /** Why the client is gone: it stopped reading (the rows waited for it most of REQUEST_TIMEOUT_MS), or it closed. */
  private goneError (): AppError {
    return this.paused && Date.now() - this.lastRead >= this.options.stallMs / 2 ? readerStalled(this.options.stallMs) : clientClosedRequest()
  }

  private listen (command: Command, prepared: boolean): void {
    command.on('fields', (fields: FieldPacket[] | undefined) => this.fields(command, fields, prepared))
    command.on('result', (row: unknown, index?: number) => this.row(row, index))
    command.on('error', (err: Error & { errno?: number }) => this.failed(err))
    command.on('end', () => this.ended(command))
  }

  private fields (command: Command, fields: FieldPacket[] | undefined, prepared: boolean): void {
    if (fields === undefined || this.settled) return
    if (this.writer !== null) {
      // A later result set (a procedure's): only the first is exported; the rest is not read.
      this.finish(true)
      return
    }
    this.open(exportColumns(fields, clientNames(fields.map((field) => field.name), this.options.columns), prepared))
    this.restore = prepareResultFields(command, fields)
  }

  private open (columns: ExportColumn[]): void {
    this.writer = this.options.format === 'csv' ? new CsvRows(this.out, columns, this.options.escapeFormulas) : new JsonRows(this.out, columns, this.options.format === 'json')
    this.writer.header()
    // The first bytes go out at once: a download starts when its statement has, and a failure
    // after this point can only cut the file short, never turn into an error answer.
    this.send(this.out.take(true))
    this.resolveStarted(columns)
  }

  private row (row: unknown, index: number | undefined): void {
    if (this.settled) return
    if (index === undefined || this.writer === null) {
      this.header = row as ResultSetHeader
      return
    }
    if (++this.rows > this.options.maxRows) {
      this.truncated = true
      this.rows = this.options.maxRows
      // Past the one row that sql_select_limit lets through (a LIMIT of its own, SHOW): stop here.
      if (++this.extra > 1) this.finish(true)
      return
    }
    this.writer.row(row as unknown[])
    if (this.out.ready) this.send(this.out.take(false))
  }

  private ended (command: Command): void {
    if (this.settled) return
    if (this.writer === null) this.open([])
    const flags = resultSetStatus(command) | (this.header?.serverStatus ?? 0)
    this.finish(false, (flags & SERVER_SESSION_STATE_CHANGED) !== 0)
  }

  private failed (err: Error & { errno?: number, fatal?: boolean }): void {
    if (err.fatal === true) this.discard = true
    const { killed, clientGone } = this.watchdog
    if (clientGone && err.errno === ER_QUERY_INTERRUPTED) this.fail(this.goneError())
    else if ((err.errno !== undefined && TIMEOUT_ERRNOS.has(err.errno)) || (killed && err.errno === ER_QUERY_INTERRUPTED)) this.fail(queryTimeout(this.options.timeoutMs))
    else this.fail(toAppError(err))
  }

  /** The statement ran past its timeout (or its client has gone): stopped on the server, and not read on. */
  private stop (): void {
    this.fail(this.watchdog.clientGone ? this.goneError() : queryTimeout(this.options.timeoutMs))
  }

  private fail (err: AppError): void {
    if (this.settled) return
    this.settle(err, true)
    // Before the first byte, the route answers the error; after it, the response is cut short.
    if (this.writer === null) this.rejectStarted(err)
    else this.destroy(err)
  }

  /** The rows so far are all the export holds: a cut result, or a later result set not read. */
  private finish (stopReading: boolean, stateChanged = false): void {
    if (this.settled) return
    this.writer?.end(this.truncated ? { rowCount: this.rows, maxRows: this.options.maxRows } : null)
    this.send(this.out.take(true))
    // The download ends once its connection is back (reset first when it must be): the client's next export finds it free.
    const released = this.settle(null, stopReading, stateChanged)
    if (released === undefined) this.push(null)
    else released.then(() => this.push(null), () => {})
  }

  private send (chunks: Buffer[]): void {
    let room = true
    for (const chunk of chunks) room = this.push(chunk) && room
    if (!room && !this.paused && !this.settled) {
      this.paused = true
      this.core.pause()
    }
  }

  /** Settles the export once: the connection given back (closed unless it ended cleanly; reset first when the promise says), the outcome told. */
  private settle (error: AppError | null, stopReading: boolean, stateChanged = false): Promise<void> | undefined {
    if (this.settled) return
    this.settled = true
    this.watchdog.stop()
    onConnectionLost(this.lease.conn, null)
    this.restore()
    if (stopReading || error !== null) {
      // Not read on: the server is told to stop (it would notice a closed connection only when it
      // next writes to it), and the connection is closed.
      if (!this.discard) this.mysql.killQuery(this.lease.connectionId).catch(() => {})
      this.discard = true
      this.core.pause()
      this.core.stream.destroy()
    } else {
      // The statement ended while its rows waited for the client (the last chunks pushed past the
      // high-water mark paused the connection): it goes back reading, or the next statement on it
      // would wait for ever for an answer the connection does not read.
      if (this.paused) {
        this.paused = false
        this.core.resume()
      }
      if (this.options.params.length > 0) this.core.unprepare(this.command as unknown as string)
    }
    const released = this.lease.release(this.discard ? 'discard' : this.options.resetsConnection || stateChanged ? 'reset' : 'keep')
    const executionTimeMs = Math.round((performance.now() - this.startedAt) * 1000) / 1000
    this.resolveDone({ error, rowCount: this.rows, truncated: this.truncated, executionTimeMs })
    return released
  }
}
