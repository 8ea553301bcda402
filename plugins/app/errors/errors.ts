/**
 * Every error a client can see has a stable `code` of the catalogue (./catalogue.ts), which gives
 * its status. Route handlers and plugins throw `AppError`s; the error handler
 * (./error-handler.ts) turns them into the envelope `{ statusCode, error, code, message, ...extra }`.
 */
import { STATUS_CODES } from 'node:http'
import { ERRORS, type ErrorCode } from './catalogue.js'

export type ErrorExtra = Record<string, unknown>

export class AppError extends Error {
  readonly statusCode: number
  readonly code: ErrorCode
  readonly extra: ErrorExtra | undefined
  readonly headers: Record<string, string> | undefined

  constructor (code: ErrorCode, message: string, extra?: ErrorExtra, headers?: Record<string, string>) {
    super(message)
    this.name = 'AppError'
    this.statusCode = ERRORS[code].status
    this.code = code
    this.extra = extra
    this.headers = headers
  }

  toJSON (): Record<string, unknown> {
    return {
      statusCode: this.statusCode,
      error: STATUS_CODES[this.statusCode] ?? 'Error',
      code: this.code,
      message: this.message,
      ...this.extra
    }
  }
}

export const invalidSessionId = (source: string): AppError =>
  new AppError('invalid_session_id',
    `The session id from the ${source} is not valid: it must match ^[A-Za-z0-9_-]{8,128}$.`)

/** How many of the names a client may have meant a message spells out (its extra field holds them all). */
const MEANT_IN_MESSAGE = 3

/**
 * Names a client may have meant by one that does not exist: spelt so in another case
 * (`otherCase`: the server compares names exactly), or else near it (a few edits away).
 */
export interface NamesMeant {
  readonly names: readonly string[]
  readonly otherCase: boolean
}

export const NOTHING_MEANT: NamesMeant = Object.freeze({ names: Object.freeze([]), otherCase: false })

/** ` Names are exact: did you mean 'a' or 'b'?` (another case), ` Did you mean 'a' or 'b'?` (near), or nothing when there are none. */
export function namesMeant ({ names, otherCase }: NamesMeant): string {
  if (names.length === 0) return ''
  // A server's name is at most 64 characters a part: `db.table.column` fits whole.
  const listed = names.slice(0, MEANT_IN_MESSAGE).map((name) => `'${truncate(name, 200)}'`).join(' or ')
  return otherCase ? ` Names are exact: did you mean ${listed}?` : ` Did you mean ${listed}?`
}

/** `similar`: the databases served here that the client may have meant, named when there are any. */
export function databaseNotFound (name: string, similar: NamesMeant = NOTHING_MEANT): AppError {
  const message = `Database '${truncate(name, 64)}' does not exist or is not available through this gateway.${namesMeant(similar)}`
  return new AppError('database_not_found', message, similar.names.length === 0 ? undefined : { similar_databases: similar.names })
}

export function tableNotFound (database: string, table: string, similar: NamesMeant): AppError {
  return new AppError('table_not_found',
    `Table '${truncate(table, 64)}' does not exist in database '${truncate(database, 64)}'.${namesMeant(similar)}`,
    { similar_tables: similar.names })
}

export const databaseContextMissing = (sessionId: string): AppError =>
  new AppError('database_context_missing',
    `No database context found for session ${sessionId}. Select a database first (POST /api/database/select; MCP: select_database).`,
    { recovery_action: 'select_database' })

export const databaseContextChanged = (expected: string, actual: string): AppError =>
  new AppError('database_context_changed',
    `This session's database is now '${truncate(actual, 64)}', not '${truncate(expected, 64)}' (it was switched since, from another tab or client): nothing ran. Select '${truncate(expected, 64)}' again to run it there.`,
    { expected_database: expected, database_name: actual, recovery_action: 'select_database' })

/**
 * An error a client may retry in `ms`: whole seconds, at least one, in its message, its
 * `retry_after_seconds` and its `Retry-After` header.
 */
export function retryLater (code: ErrorCode, ms: number, message: (seconds: number) => string): AppError {
  const seconds = Math.max(1, Math.ceil(ms / 1000))
  return new AppError(code, message(seconds), { retry_after_seconds: seconds }, { 'retry-after': String(seconds) })
}

export const rateLimited = (max: number, windowMs: number, ttlMs: number): AppError =>
  retryLater('rate_limited', ttlMs, (seconds) => `Rate limit exceeded: ${max} requests per ${Math.round(windowMs / 1000)} s. Retry in ${seconds} s.`)

export const sessionStoreUnavailable = (): AppError =>
  new AppError('session_store_unavailable', 'The session store (Redis) is unavailable. Retry shortly.',
    undefined, { 'retry-after': '1' })

export const databaseUnavailable = (): AppError =>
  new AppError('database_unavailable', 'The database server is unavailable. Retry shortly.',
    undefined, { 'retry-after': '1' })

/** What the database server said of an error: its message, errno and SQLSTATE. */
export interface ServerError { message: string, errno: number, sql_state: string }

/**
 * Too many queries wait for a pooled connection; or, with `server`, the database server itself is
 * out of a resource (memory, threads, prepared statements). Either way nothing ran.
 */
export const databaseBusy = (server?: ServerError): AppError => server === undefined
  ? new AppError('database_busy', 'Too many queries are waiting for a database connection. Retry shortly.',
    undefined, { 'retry-after': '1' })
  : new AppError('database_busy', `The database server is out of a resource for now (${server.message}): retry shortly.`,
    { errno: server.errno, sql_state: server.sql_state }, { 'retry-after': '1' })

/** Another transaction held what the statement needed (a lock wait, a deadlock): rolled back, it may succeed when run again. */
export const lockConflict = (server: ServerError): AppError =>
  new AppError('lock_conflict', `The statement conflicted with another transaction and was rolled back (${server.message}): run it again.`,
    { errno: server.errno, sql_state: server.sql_state }, { 'retry-after': '1' })

export const catalogTimeout = (timeoutMs: number): AppError =>
  new AppError('catalog_timeout', `Reading the database's catalog (databases, tables, columns) took longer than QUERY_TIMEOUT_MS (${timeoutMs} ms) and was stopped on the database server. Ask for one table (GET /api/database/schema?table=<name>; MCP: describe_schema with table), or raise QUERY_TIMEOUT_MS.`,
    { timeout_ms: timeoutMs })

export function truncate (text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}
