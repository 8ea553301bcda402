import { AppError, namesMeant } from '../errors/errors.js'
import type { Catalog } from './catalog.js'

/** ER_NO_SUCH_TABLE: `Table 'db.name' doesn't exist`, the same text on MariaDB, MySQL and TiDB. */
const NO_SUCH_TABLE = 1146
const MISSING_TABLE = /^Table '(.*)' doesn't exist$/s
/** ER_BAD_FIELD_ERROR: `Unknown column 'name' in 'where clause'` (the name qualified as written). */
const BAD_FIELD = 1054
const MISSING_COLUMN = /^Unknown column '(.*)' in '[^']*'$/s

/** How many of a statement's names are looked up as tables, and how many columns are named. */
const MAX_TABLES = 32
const MAX_COLUMNS = 3
/** How far a column's name may be from the unknown one (edits), and at most half its length. */
const MAX_DISTANCE = 3

export interface NameLookups {
  catalog: Catalog
  /** The names a statement spells, as the server reads it. */
  namesIn: (sql: string) => string[]
}

/**
 * A statement's error with the names it may have meant, after the server's message and in an
 * extra field; any other error, or one with nothing to name, as it is:
 * - a table that does not exist (1146): the tables of that database, when the gateway serves it,
 *   that the server's comparison of names takes for it though they are spelt otherwise (`Orders`
 *   for `orders` where names are case-sensitive): `similar_tables`;
 * - a column that does not exist (1054): the columns of the session database's tables that the
 *   statement names whose names are within a few edits of it, or hold it (`created` for
 *   `created_at`), closest first, as `table.column`: `similar_columns`.
 */
export async function withNamesMeant (err: unknown, sessionDatabase: string, sql: string, lookups: NameLookups): Promise<unknown> {
  if (!(err instanceof AppError) || err.code !== 'sql_error') return err
  const found = err.extra?.errno === NO_SUCH_TABLE
    ? await similarTables(err.message, sessionDatabase, lookups.catalog)
    : err.extra?.errno === BAD_FIELD ? await similarColumns(err.message, sessionDatabase, sql, lookups) : null
  if (found === null || found.names.length === 0) return err
  return new AppError('sql_error', `${err.message}.${found.sentence}`, { ...err.extra, [found.field]: found.names })
}

interface Found { field: string, names: string[], sentence: string }

async function similarTables (message: string, sessionDatabase: string, catalog: Catalog): Promise<Found | null> {
  const named = missingTable(message, sessionDatabase)
  if (named === null || !catalog.isAllowed(named.database)) return null
  const names = await catalog.similarTables(named.database, named.table).catch(() => [])
  return { field: 'similar_tables', names, sentence: namesMeant(names) }
}

/**
 * The database and table a "no such table" message names. The server writes them joined by a
 * point, so the session's database is tried first (its name may hold a point itself), then the
 * text before the first point.
 */
function missingTable (message: string, sessionDatabase: string): { database: string, table: string } | null {
  const both = MISSING_TABLE.exec(message)?.[1]
  if (both === undefined) return null
  if (both.startsWith(`${sessionDatabase}.`)) return { database: sessionDatabase, table: both.slice(sessionDatabase.length + 1) }
  const point = both.indexOf('.')
  return point <= 0 ? null : { database: both.slice(0, point), table: both.slice(point + 1) }
}

async function similarColumns (message: string, sessionDatabase: string, sql: string, { catalog, namesIn }: NameLookups): Promise<Found | null> {
  const written = MISSING_COLUMN.exec(message)?.[1]
  if (written === undefined) return null
  // `o.created` names the column `created` of the table or alias `o`.
  const unknown = written.slice(written.lastIndexOf('.') + 1).toLowerCase()
  const columns = await catalog.columnsOf(sessionDatabase, namesIn(sql).slice(0, MAX_TABLES)).catch(() => [])
  const ranked = columns
    .map(({ table, column }) => ({ name: `${table}.${column}`, distance: closeness(unknown, column.toLowerCase()) }))
    .filter((one): one is { name: string, distance: number } => one.distance !== null)
    .sort((a, b) => a.distance - b.distance)
  const names = [...new Set(ranked.map((one) => one.name))].slice(0, MAX_COLUMNS)
  return { field: 'similar_columns', names, sentence: ` Did you mean ${names.map((name) => `'${name}'`).join(' or ')}?` }
}

/** How many edits `candidate` is from `unknown` when it may be the name meant, else null. */
function closeness (unknown: string, candidate: string): number | null {
  if (unknown === '' || candidate === unknown) return null
  const distance = editDistance(unknown, candidate)
  if (distance <= MAX_DISTANCE && distance * 2 <= unknown.length) return distance
  const contains = Math.min(unknown.length, candidate.length) >= 3 && (candidate.includes(unknown) || unknown.includes(candidate))
  return contains ? distance : null
}

/** Levenshtein distance between two names (a column's at most 64 characters; the unknown one, as the server quotes it, 192). */
function editDistance (a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}
