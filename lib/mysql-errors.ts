import { AppError, databaseBusy, databaseUnavailable } from './errors.js'

interface DriverError extends Error {
  code?: string
  errno?: number
  sqlState?: string
  sqlMessage?: string
  fatal?: boolean
}

/** Server error numbers that mean "the server cannot serve us now", not "your SQL is wrong". */
const UNAVAILABLE_ERRNOS = new Set([
  1040, // ER_CON_COUNT_ERROR: too many connections
  1053, // ER_SERVER_SHUTDOWN
  1129, // ER_HOST_IS_BLOCKED
  1203, // ER_TOO_MANY_USER_CONNECTIONS
  1927, // ER_CONNECTION_KILLED (MariaDB): the connection was killed on the server
  2002, 2003, 2006, 2013 // client-side connection errors, as some servers relay them
])

export function isConnectionError (err: DriverError): boolean {
  if (err.fatal === true) return true
  if (err.errno !== undefined && UNAVAILABLE_ERRNOS.has(err.errno)) return true
  return typeof err.code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EPIPE|PROTOCOL_CONNECTION_LOST|PROTOCOL_SEQUENCE_TIMEOUT|POOL_CLOSED)$/.test(err.code)
}

/**
 * A driver error as the client sees it: the server's own SQL errors pass through as
 * 400 sql_error with errno and SQLSTATE; anything that means the server is out of reach is
 * 503 database_unavailable. Already-mapped AppErrors pass unchanged.
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
    return new AppError(400, 'sql_error', driverError.sqlMessage ?? driverError.message, {
      errno: driverError.errno,
      sql_state: driverError.sqlState
    })
  }
  const mapped = new AppError(500, 'internal_error', 'Internal server error')
  mapped.cause = err
  return mapped
}
