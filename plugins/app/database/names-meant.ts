import { decrement, increment } from '../counts.js'
import { AppError, namesMeant, NOTHING_MEANT, type NamesMeant } from '../errors/errors.js'
import type { WrittenNames } from '../query/sql/error-text.js'
import type { TableReference } from '../query/sql/table-references.js'
import type { Catalog } from './catalog.js'
import { closeness, MAX_MEANT, nearNames } from './near-names.js'

/** ER_NO_SUCH_TABLE: `Table 'db.name' doesn't exist`, the same text on MariaDB, MySQL and TiDB. */
const NO_SUCH_TABLE = 1146
const MISSING_TABLE = /^Table '(.*)' doesn't exist$/s
/** ER_BAD_FIELD_ERROR: `Unknown column 'name' in 'where clause'` (the name qualified as written). */
const BAD_FIELD = 1054
const MISSING_COLUMN = /^Unknown column '(.*)' in '[^']*'$/s
/** ER_BAD_DB_ERROR: `Unknown database 'name'` (SHOW TABLES FROM name, say). */
const BAD_DATABASE = 1049
const MISSING_DATABASE = /^Unknown database '(.*)'$/s
/** ER_SP_DOES_NOT_EXIST: `FUNCTION db.name does not exist`, where db is the database the call resolved in. */
const NO_SUCH_ROUTINE = 1305
const MISSING_FUNCTION = /^FUNCTION (.*)\.([^.]*) does not exist$/s

/** How many of a statement's tables and names are looked up as tables for their columns. */
const MAX_TABLES = 32
/** How many served databases, spelt like a missing one in another case or near it, are looked in for its table. */
const MAX_DATABASES = 3

export interface NameLookups {
  catalog: Catalog
  /** The names and tables a statement spells, as the server reads it. */
  namesIn: (sql: string) => WrittenNames
  /** The instance's hint lookups in flight by client (HINTS_AT_ONCE each at most); one map per instance. */
  inFlight: Map<string, number>
  /** The client whose lookups these are: its address's bucket, or '' when unknown. */
  client: string
}

/**
 * Hint lookups one instance runs at once for one client. A lookup reads the catalog (every table
 * name of a schema, for a missing table) in the client's catalog turn of the pool, which its
 * `list`, `select` and `schema` share: past this, an error answers without its hint, so that a
 * client's stream of errors never holds the whole turn, nor costs the database more than one
 * lookup at a time.
 */
const HINTS_AT_ONCE = 1

/**
 * A statement's error with the names it may have meant, after the server's message and in an
 * extra field; any other error, one with nothing to name, or one while the instance looks up
 * another's hint (HINTS_AT_ONCE), as it is:
 * - a table that does not exist (1146): the tables of that database, when the gateway serves it,
 *   that the server's comparison of names takes for it though they are spelt otherwise (`Orders`
 *   for `orders` where names are case-sensitive), or else those near it (`ordrs` for `orders`);
 *   for a database the gateway does not serve, the table in the served databases spelt so in
 *   another case or near it, named with its database (`sales_db.orders` for `Sales_DB.Orders`):
 *   `similar_tables`;
 * - a column that does not exist (1054): the columns of the tables the statement names whose names
 *   are within a few edits of it, or hold it (`created` for `created_at`), closest first, each as
 *   the statement may write it, by the table's alias where it has one (`o.created_at`):
 *   `similar_columns`;
 * - a function that does not exist (1305), called without a database: the built-in functions and
 *   the session database's stored ones near it (`CONCAT` for `CONCATE`): `similar_functions`;
 * - a database that does not exist (1049): the served ones spelt so in another case or near it:
 *   `similar_databases`.
 */
export async function withNamesMeant (err: unknown, sessionDatabase: string, sql: string, lookups: NameLookups): Promise<unknown> {
  if (!(err instanceof AppError) || err.code !== 'sql_error') return err
  const found = await gated(lookups, () => meantBy(err.extra?.errno, err.message, sessionDatabase, sql, lookups), null)
  if (found === null || found.meant.names.length === 0) return err
  return new AppError('sql_error', `${err.message}.${namesMeant(found.meant)}`, { ...err.extra, [found.field]: found.meant.names })
}

/** `lookup`'s answer, or `otherwise` while the instance runs HINTS_AT_ONCE lookups for the client already. */
export async function gated<T> ({ inFlight, client }: Pick<NameLookups, 'inFlight' | 'client'>, lookup: () => Promise<T>, otherwise: T): Promise<T> {
  if ((inFlight.get(client) ?? 0) >= HINTS_AT_ONCE) return otherwise
  increment(inFlight, client)
  try {
    return await lookup()
  } finally {
    decrement(inFlight, client)
  }
}

interface Found { field: 'similar_databases' | 'similar_tables' | 'similar_columns' | 'similar_functions', meant: NamesMeant }

async function meantBy (errno: unknown, message: string, sessionDatabase: string, sql: string, lookups: NameLookups): Promise<Found | null> {
  switch (errno) {
    case BAD_DATABASE: return await similarDatabases(message, lookups.catalog)
    case NO_SUCH_TABLE: return await similarTables(message, sessionDatabase, lookups.catalog)
    case BAD_FIELD: return await similarColumns(message, sessionDatabase, sql, lookups)
    case NO_SUCH_ROUTINE: return await similarFunctions(message, sessionDatabase, lookups.catalog)
    default: return null
  }
}

/** The databases the gateway serves that an unknown one may have meant. */
async function similarDatabases (message: string, catalog: Catalog): Promise<Found | null> {
  const name = MISSING_DATABASE.exec(message)?.[1]
  if (name === undefined) return null
  return { field: 'similar_databases', meant: (await catalog.findDatabase(name).catch(() => null))?.similar ?? NOTHING_MEANT }
}

/**
 * The functions meant by one that does not exist. The server names the database a call resolved
 * in: the session's for a call without one, where the built-ins are what a misspelt name meant.
 */
async function similarFunctions (message: string, sessionDatabase: string, catalog: Catalog): Promise<Found | null> {
  const [, database, name] = MISSING_FUNCTION.exec(message) ?? []
  if (database !== sessionDatabase || name === undefined) return null
  const [builtIns, stored] = await Promise.all([catalog.builtInFunctions().catch(() => []), catalog.functionsOf(sessionDatabase).catch(() => [])])
  return { field: 'similar_functions', meant: { names: nearNames(name, [...builtIns, ...stored], MAX_MEANT), otherCase: false } }
}

async function similarTables (message: string, sessionDatabase: string, catalog: Catalog): Promise<Found | null> {
  const named = missingTable(message, sessionDatabase)
  if (named === null) return null
  return { field: 'similar_tables', meant: await tablesMeant(named.database, named.table, catalog).catch(() => NOTHING_MEANT) }
}

/**
 * The tables meant by `table` of `database`: in a database the gateway serves, those spelt in
 * another case or near it; in one it does not serve, the table in each served database of that
 * name in another case (or near it), spelt either way, named with its database.
 */
async function tablesMeant (database: string, table: string, catalog: Catalog): Promise<NamesMeant> {
  if (catalog.isAllowed(database)) {
    const similar = await catalog.similarTables(database, table)
    if (similar.names.length > 0) return similar
  }
  // The listing holds only what the gateway serves (DATABASE_ALLOWLIST goes by the exact name).
  const { exists, similar } = await catalog.findDatabase(database)
  if (exists || similar.names.length === 0) return NOTHING_MEANT
  return { names: await inDatabases(similar.names, table, catalog), otherCase: similar.otherCase }
}

async function inDatabases (databases: readonly string[], table: string, catalog: Catalog): Promise<string[]> {
  const found = await Promise.all(databases.slice(0, MAX_DATABASES).map(async (database) =>
    (await catalog.tablesNamed(database, table)).map((name) => `${database}.${name}`)))
  return found.flat()
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
  // `o.created` names the column `created` of the table or alias `o`; `db.t.created` of `db.t`.
  const point = written.lastIndexOf('.')
  const unknown = written.slice(point + 1)
  const qualifier = point === -1 ? null : written.slice(0, point)
  const candidates = await columnsNamed(sessionDatabase, namesIn(sql), catalog)
  // A qualifier the statement gives a table narrows the candidates to that table's columns, named
  // so; a qualifier it gives none may mean any of them, the same column of another table too.
  const narrowed = candidates.filter((one) => qualifier !== null && (one.qualifiers.includes(qualifier) || qualifier === one.qualified))
  const named = narrowed.length > 0
    ? narrowed.map(({ column }) => ({ column, as: qualifier!, elsewhere: false }))
    : candidates.flatMap(({ column, qualifiers }) => qualifiers.map((as) => ({ column, as, elsewhere: qualifier !== null })))
  const ranked = named
    .map(({ column, as, elsewhere }) => ({ name: `${as}.${column}`, distance: closeness(unknown, column, elsewhere) }))
    .filter((one): one is { name: string, distance: number } => one.distance !== null)
    .sort((a, b) => a.distance - b.distance)
  return { field: 'similar_columns', meant: { names: [...new Set(ranked.map((one) => one.name))].slice(0, MAX_MEANT), otherCase: false } }
}

interface Candidate {
  column: string
  /** The names the statement may qualify it by: its table's aliases, or else the table's name. */
  qualifiers: string[]
  /** `db.table`, which qualifies it too where the table has no alias. */
  qualified: string
}

/**
 * The columns of the tables a statement names, each with the names the statement may qualify it
 * by: a table's alias where the statement gives it one (its own name is then no name there), else
 * the table's name. The tables are those it names where a table is expected, then any other name
 * it spells as a table of the session's database (a subquery's, say); only in databases the
 * gateway serves.
 */
async function columnsNamed (sessionDatabase: string, { names, tables }: WrittenNames, catalog: Catalog): Promise<Candidate[]> {
  const served = tables.filter((ref) => ref.database === null || catalog.isAllowed(ref.database))
  const wanted = new Map<string, { database: string, table: string }>()
  const want = (database: string, table: string) => { wanted.set(JSON.stringify([database, table]), { database, table }) }
  for (const ref of served) want(ref.database ?? sessionDatabase, ref.table)
  for (const name of names) want(sessionDatabase, name)
  const columns = await catalog.columnsOf([...wanted.values()].slice(0, MAX_TABLES)).catch(() => [])
  return columns.map(({ database, table, column }) => ({ column, qualifiers: qualifiersOf(database, table, served, sessionDatabase), qualified: `${database}.${table}` }))
}

function qualifiersOf (database: string, table: string, refs: readonly TableReference[], sessionDatabase: string): string[] {
  const named = refs.filter((ref) => (ref.database ?? sessionDatabase) === database && ref.table === table)
  return named.length === 0 ? [table] : [...new Set(named.map((ref) => ref.alias ?? table))]
}
