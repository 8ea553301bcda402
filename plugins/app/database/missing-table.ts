import { AppError, namesMeant } from '../errors/errors.js'
import type { Catalog } from './catalog.js'

/** ER_NO_SUCH_TABLE: `Table 'db.name' doesn't exist`, the same text on MariaDB, MySQL and TiDB. */
const NO_SUCH_TABLE = 1146
const MESSAGE = /^Table '(.*)' doesn't exist$/s

/**
 * A statement's "no such table" error, with the tables of that database that the server's
 * comparison of names takes for it though they are spelled otherwise (`Orders` for `orders` where
 * names are case-sensitive): `similar_tables`, and a sentence naming them after the server's
 * message. Names are looked up only in a database the gateway serves, and only when the error
 * names one. Any other error, or one with no similar table, is returned as it is.
 */
export async function withSimilarTables (err: unknown, sessionDatabase: string, catalog: Catalog): Promise<unknown> {
  if (!(err instanceof AppError) || err.code !== 'sql_error' || err.extra?.errno !== NO_SUCH_TABLE) return err
  const named = missingTable(err.message, sessionDatabase)
  if (named === null || !catalog.isAllowed(named.database)) return err
  const similar = await catalog.similarTables(named.database, named.table).catch(() => [])
  if (similar.length === 0) return err
  return new AppError('sql_error', `${err.message}.${namesMeant(similar)}`, { ...err.extra, similar_tables: similar })
}

/**
 * The database and table a "no such table" message names. The server writes them joined by a
 * point, so the session's database is tried first (its name may hold a point itself), then the
 * text before the first point.
 */
function missingTable (message: string, sessionDatabase: string): { database: string, table: string } | null {
  const both = MESSAGE.exec(message)?.[1]
  if (both === undefined) return null
  if (both.startsWith(`${sessionDatabase}.`)) return { database: sessionDatabase, table: both.slice(sessionDatabase.length + 1) }
  const point = both.indexOf('.')
  return point <= 0 ? null : { database: both.slice(0, point), table: both.slice(point + 1) }
}
