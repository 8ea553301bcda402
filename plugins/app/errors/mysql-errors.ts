import { AppError, databaseBusy, databaseUnavailable, lockConflict } from './errors.js'

interface DriverError extends Error {
  code?: string
  errno?: number
  sqlState?: string
  sqlMessage?: string
  fatal?: boolean
}

/**
 * The gateway's database account cannot log in or run statements: a wrong or rotated password,
 * a host it may not connect from, an expired password or a locked account. An operator's
 * matter, not the request's: the client hears that the database is unavailable, the log says why,
 * and the account's name and the gateway's address stay out of the answer.
 */
const ACCOUNT_ERRNOS = [
  1045, // ER_ACCESS_DENIED_ERROR: Access denied for user 'sqlgate'@'10.0.0.5' (using password: YES)
  1130, // ER_HOST_NOT_PRIVILEGED: Host '10.0.0.5' is not allowed to connect
  1251, 1275, // the server wants an authentication method the driver does not speak
  1820, 1862, // ER_MUST_CHANGE_PASSWORD(_LOGIN): the password has expired
  3118, 4151, // ER_ACCOUNT_HAS_BEEN_LOCKED (MySQL, TiDB), ER_ACCOUNT_LOCKED (MariaDB)
  3955, 3957 // MySQL: the account is locked after failed logins
]

/** Server error numbers that mean "the server cannot serve us now", not "your SQL is wrong". */
const UNAVAILABLE_ERRNOS = new Set([
  1040, // ER_CON_COUNT_ERROR: too many connections
  1053, // ER_SERVER_SHUTDOWN
  1129, // ER_HOST_IS_BLOCKED
  1203, // ER_TOO_MANY_USER_CONNECTIONS
  1927, // ER_CONNECTION_KILLED (MariaDB): the connection was killed on the server
  2002, 2003, 2006, 2013, // client-side connection errors, as some servers relay them
  ...ACCOUNT_ERRNOS
])

/**
 * Another transaction held what the statement needed, past the lock wait or in a deadlock: the
 * server rolled it back (in autocommit mode, all of it), and the same statement may succeed when
 * retried. Not "your SQL is wrong".
 */
const CONFLICT_ERRNOS = new Set([
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
  8002, // TiDB: SELECT … FOR UPDATE write conflict
  9007 // TiDB: write conflict (optimistic transactions)
])

/** The server is out of a resource for now: nothing ran, and a retry may succeed. */
const BUSY_ERRNOS = new Set([
  1037, // ER_OUTOFMEMORY
  1041, // ER_OUT_OF_RESOURCES
  1135, // ER_CANT_CREATE_THREAD
  1461 // ER_MAX_PREPARED_STMT_COUNT_REACHED: every client of the server together holds max_prepared_stmt_count
])

export function isConnectionError (err: DriverError): boolean {
  if (err.fatal === true) return true
  if (err.errno !== undefined && UNAVAILABLE_ERRNOS.has(err.errno)) return true
  return typeof err.code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EPIPE|PROTOCOL_CONNECTION_LOST|PROTOCOL_SEQUENCE_TIMEOUT|POOL_CLOSED)$/.test(err.code)
}

/**
 * A driver error as the client sees it: the server's own SQL errors pass through as
 * 400 sql_error with errno and SQLSTATE, but a lock conflict (409 lock_conflict) and a server out
 * of a resource (503 database_busy) say that a retry may succeed; anything that means the server is
 * out of reach is 503 database_unavailable. Already-mapped AppErrors pass unchanged.
 */
export function toAppError (err: unknown): AppError {
  if (err instanceof AppError) return err
  const driverError = err as DriverError
  if (driverError.message === 'Queue limit reached.') return databaseBusy() // mysql2 gives it no code
  if (isConnectionError(driverError)) {
    const mapped = databaseUnavailable()
    mapped.cause = err
    return mapped
  }
  if (typeof driverError.errno === 'number' && typeof driverError.sqlState === 'string') {
    const server = { message: driverError.sqlMessage ?? driverError.message, errno: driverError.errno, sql_state: driverError.sqlState }
    if (CONFLICT_ERRNOS.has(server.errno)) return lockConflict(server)
    if (BUSY_ERRNOS.has(server.errno)) return databaseBusy(server)
    return new AppError('sql_error', server.message, { errno: server.errno, sql_state: server.sql_state })
  }
  const mapped = new AppError('internal_error', 'Internal server error')
  mapped.cause = err
  return mapped
}
