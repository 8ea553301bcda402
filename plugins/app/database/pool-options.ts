import { readFileSync } from 'node:fs'
import type { PoolOptions } from 'mysql2/promise'
import { parseMysqlUrl, type Config } from '../../../config.js'
import { tlsOptions } from './dialect.js'
import { answerTypeCast } from '../query/long-values.js'
import type { BusyLimit } from './fair-share.js'

/**
 * What every connection to the database is opened with, from MYSQL_URL and MYSQL_SSL*; with
 * `statementTypeCast`, without the pool's typeCast (see PoolSettings).
 */
export function poolOptions (config: Config, statementTypeCast = false): PoolOptions {
  const { ssl: sslInUrl, ...target } = parseMysqlUrl(config.MYSQL_URL)
  const ssl = tlsOptions({ enabled: config.MYSQL_SSL || sslInUrl, caFile: config.MYSQL_SSL_CA, verify: config.MYSQL_SSL_VERIFY },
    (path) => readFileSync(path, 'utf8'))
  return {
    ...target,
    ...(ssl === undefined ? {} : { ssl }),
    connectTimeout: 1000,
    enableKeepAlive: true,
    charset: 'utf8mb4_general_ci',
    // Stacked statements stay impossible; LOAD DATA LOCAL cannot read the gateway's files. A
    // prepared CALL's OUT and INOUT parameters come back as its last result set (the server sends
    // them only to a client that says it takes them).
    multipleStatements: false,
    flags: ['-LOCAL_FILES', 'PS_MULTI_RESULTS'],
    // Exact values: BIGINT/DECIMAL as strings, dates as the stored text, JSON as its text (written
    // into the answer as it is: ../query/values.ts).
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true,
    jsonStrings: true,
    // A client's values as its answer takes them (../query/long-values.ts: spatial values and long
    // text as bytes), through mysql2's public typeCast hook; the service's own statements pass
    // `driverValues` (mysql2's own reading). Rows as arrays, which the query runner names (the
    // service's own statements ask for objects).
    typeCast: statementTypeCast ? true : answerTypeCast,
    rowsAsArray: true,
    // mysql2 keeps each connection's prepared statements in an LRU that allocates its arrays at
    // full size when the connection opens (16,000 entries by default, 512 kB of heap per
    // connection). A query's statement is closed when it ends, so a connection holds one at a time.
    maxPreparedStatements: 16
  }
}

/**
 * mysql2 compiles a row parser for each shape of result (its columns and their types) and keeps
 * up to 15,000 of them, about 4 kB each: a gateway whose clients send their own queries has as many
 * shapes as they like. A thousand cover any application's recurring queries; a shape beyond them
 * costs one compilation again. Wide results get none (../patches/mysql2-result-fields.ts).
 */
export const PARSER_CACHE_SIZE = 1000

/** The size of a pool and who may wait for it. */
export interface PoolSettings {
  size: number
  /** Requests that may wait for a connection at once; past it, `database_busy`. */
  maxWaiting: number
  /** The server's `net_write_timeout` on its connections, when not its default. */
  writeTimeoutSeconds?: number
  /** The connections one client address holds at most (./fair-share.ts's `groupCap`). */
  groupCap?: number
  /** The error when no more may wait (`database_busy` by default), by the limit the request met. */
  busy?: (limit: BusyLimit) => Error
  /**
   * Its statements choose how values are read (a typeCast of their own, or none at all): the
   * pool has no typeCast, which mysql2 would otherwise put in place of a statement's `false`.
   */
  statementTypeCast?: boolean
}

/** The pool of the sessions' queries: MYSQL_POOL_SIZE, and 50 times as many may wait. */
export const queryPool = (config: Config): PoolSettings => ({ size: config.MYSQL_POOL_SIZE, maxWaiting: config.MYSQL_POOL_SIZE * 50 })

/** The typeCast of the service's own statements (catalog, set-up, warnings): every value as mysql2 reads it. */
export const driverValues = (_field: unknown, next: () => unknown): unknown => next()
