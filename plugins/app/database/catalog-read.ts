import type { RowDataPacket } from 'mysql2/promise'
import { catalogTimeout } from '../errors/errors.js'
import { toAppError } from '../errors/mysql-errors.js'
import { shareWhileRunning } from '../shared-work.js'
import { TIMEOUT_ERRNOS } from './dialect.js'
import type { createMysql } from './mysql.js'

/**
 * The turn catalog reads take connections in (./fair-share.ts): those of one client address
 * together, in its group, as one more session of it; those of no known client all together. So
 * one client's catalog reads hold at most a session's share of the pool, and do not make another
 * client's wait behind them.
 */
const CATALOG = 'catalog'

/** One catalog read (a statement and its values), in the turn of `group` (a client address's bucket) when known. */
export type CatalogRead = (sql: string, values: unknown[], group: string | undefined) => Promise<RowDataPacket[]>

/**
 * How the catalog reads (./catalog.ts): in its client's turn, with the server stopping it past
 * QUERY_TIMEOUT_MS (504 catalog_timeout), its other errors as the database's. The same read asked
 * again while it runs (a large schema many sessions describe at once) is read once for all: its
 * rows are shared, and never changed by a reader.
 */
export function createCatalogRead (mysql: ReturnType<typeof createMysql>, timeoutMs: number): CatalogRead {
  const shared = shareWhileRunning<RowDataPacket[]>()
  return async (sql, values, group) => await shared(sql + JSON.stringify(values), async () => {
    try {
      return await mysql.query<RowDataPacket[]>(sql, values, group === undefined ? CATALOG : `${CATALOG} ${group}`, group)
    } catch (err) {
      const { errno } = err as { errno?: number }
      // Stopped by the server past QUERY_TIMEOUT_MS: not "unavailable", and a retry would not help.
      throw errno !== undefined && TIMEOUT_ERRNOS.has(errno) ? catalogTimeout(timeoutMs) : toAppError(err)
    }
  })
}
