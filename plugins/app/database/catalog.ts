import fp from 'fastify-plugin'
import type { RowDataPacket } from 'mysql2/promise'
import { isSystemSchema, nameable } from './dialect.js'
import { NOTHING_MEANT, type NamesMeant } from '../errors/errors.js'
import type { TableSchema, TableSummary } from '../../../schemas/database.js'
import type { createMysql } from './mysql.js'
import { MAX_MEANT, nearNames } from './near-names.js'
import { builtInNames } from '../query/sql/builtins.js'
import { createCatalogRead, type CatalogRead } from './catalog-read.js'
import { columnsByTable, foreignKeysByTable, tableComments, type DetailsQuery } from './table-details.js'

declare module 'fastify' {
  interface FastifyInstance {
    catalog: Catalog
  }
}

type Mysql = ReturnType<typeof createMysql>

/** The first tables of a database by name, and how many it has in all. */
export interface TableListing<T> {
  tables: T[]
  total: number
}

type NameRow = { db: string, name: string, type: string } & RowDataPacket

/** Spellings of a missing table in another case a hint names at most; and how many of a schema's names are read to find those near a missing one. */
const MAX_OTHER_CASE = 10
const NAMES_READ = 10_000

/**
 * What databases, tables and columns a session may see. Names are always bound as parameters
 * and compared exactly in JavaScript: information_schema compares case-insensitively and
 * ignores trailing spaces, so 'SALES ' would otherwise match 'sales'. Where a listing is cut in
 * SQL (`LIMIT`), the schema is also compared as bytes there (`= BINARY ?`), so that another
 * schema's tables cannot take the places.
 *
 * A database lists its first `maxTables` tables by name and counts the rest. The counts and names
 * are quick, whatever the number of tables; a table's row estimate (`TABLE_ROWS`) makes MariaDB
 * and MySQL open the table, and they do so for every table of the schema before a `LIMIT` or an
 * `IN (...)` list applies (seconds for a database of tens of thousands of tables). So the
 * estimates are read only when every table is listed.
 */
export class Catalog {
  constructor (private readonly mysql: Mysql, private readonly allowed: ReadonlySet<string> | null, private readonly maxTables: number,
    private readonly read: CatalogRead, private readonly group?: string) {}

  /** The same catalog, its reads in the turn of `group` (a client address's bucket) when known. */
  forClient (group: string | undefined): Catalog {
    return group === undefined ? this : new Catalog(this.mysql, this.allowed, this.maxTables, this.read, group)
  }

  /** Whether this gateway serves a database of that name (never a system schema; DATABASE_ALLOWLIST when set). */
  readonly isAllowed = (name: string): boolean =>
    !isSystemSchema(name) && (this.allowed === null || this.allowed.has(name))

  private async query<T extends RowDataPacket> (sql: string, values: unknown[] = []): Promise<T[]> {
    return await this.read(sql, values, this.group) as T[]
  }

  async listDatabases (): Promise<string[]> {
    const rows = await this.query<{ name: string } & RowDataPacket>(
      'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME')
    return rows.map((row) => row.name).filter(this.isAllowed)
  }

  private async countTables (database: string): Promise<number> {
    const rows = await this.query<{ n: number | string } & RowDataPacket>(
      'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_SCHEMA = BINARY ?', [database, database])
    return Number(rows[0]?.n ?? 0)
  }

  /** Names and types of the first `maxTables` tables of `database` by name. */
  private async firstTables (database: string): Promise<Array<{ name: string, type: string }>> {
    const rows = await this.query<NameRow>(`SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = ? AND TABLE_SCHEMA = BINARY ? ORDER BY TABLE_NAME LIMIT ${this.maxTables}`, [database, database])
    return rows.filter((row) => row.db === database).map(({ name, type }) => ({ name, type }))
  }

  /** Names and types of `database`'s tables (the first `maxTables`), or only of `table` when given. */
  private async tableNames (database: string, table?: string): Promise<TableListing<{ name: string, type: string }>> {
    if (!nameable(database, table)) return { tables: [], total: 0 }
    if (table === undefined) {
      const [total, tables] = await Promise.all([this.countTables(database), this.firstTables(database)])
      return { tables, total: Math.max(total, tables.length) }
    }
    const [where, values] = inSchema(database, table)
    const rows = await this.query<NameRow>(`SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE ${where}`, values)
    const tables = rows.filter((row) => row.db === database && row.name === table).map(({ name, type }) => ({ name, type }))
    return { tables, total: tables.length }
  }

  /**
   * True when `name` is a database this gateway serves, spelled exactly so. Membership in the
   * full listing, not a WHERE lookup: MariaDB answers `SCHEMA_NAME = 'db\0'` with a row that
   * echoes the asked name, because its lookup ends the name at the NUL byte.
   */
  async databaseExists (name: string): Promise<boolean> {
    if (!this.isAllowed(name) || !nameable(name)) return false
    return (await this.findDatabase(name)).exists
  }

  /**
   * Whether `name` is a database this gateway serves (as `databaseExists` says), and, when it is
   * not, the served ones that are `name` spelt in another case, or else near it (a few edits
   * away), for an answer to name: one reading of the listing for both.
   */
  async findDatabase (name: string): Promise<{ exists: boolean, similar: NamesMeant }> {
    const served = await this.listDatabases()
    if (served.includes(name)) return { exists: true, similar: NOTHING_MEANT }
    const folded = name.toLowerCase()
    const otherCase = served.filter((other) => other.toLowerCase() === folded)
    return { exists: false, similar: otherCase.length > 0 ? { names: otherCase, otherCase: true } : { names: nearNames(name, served, MAX_MEANT), otherCase: false } }
  }

  /** The first `maxTables` tables of `database` by name, with row estimates when that is all of them. */
  async listTables (database: string): Promise<TableListing<TableSummary>> {
    if (!nameable(database)) return { tables: [], total: 0 }
    const total = await this.countTables(database)
    if (total > this.maxTables) return { tables: (await this.firstTables(database)).map((table) => ({ ...table, rows_estimate: null })), total }
    const rows = await this.query<NameRow & { rows_estimate: string | null }>(
      `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, TABLE_TYPE AS type, TABLE_ROWS AS rows_estimate
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`, [database])
    const tables = rows.filter((row) => row.db === database).slice(0, this.maxTables).map((row) => ({
      name: row.name,
      type: row.type,
      rows_estimate: row.rows_estimate === null ? null : Number(row.rows_estimate)
    }))
    // Tables made between the count and the listing are listed if they fit, and counted.
    return { tables, total: Math.max(total, tables.length) }
  }

  /**
   * The first `maxTables` tables of `database` (only `table` when given) with their comments,
   * their columns in table order and their foreign keys, read at once. The details are read for the listed tables
   * only: up to the last name listed.
   */
  async describe (database: string, table?: string): Promise<TableListing<TableSchema>> {
    const [dialect, names] = await Promise.all([this.mysql.dialect(), this.tableNames(database, table)])
    const last = names.tables.at(-1)?.name
    if (last === undefined) return { tables: [], total: names.total }
    const [where, values] = inSchema(database, table)
    const cut = table === undefined && names.total > names.tables.length
    const scope = { database, where: cut ? `${where} AND TABLE_NAME <= ?` : where, values: cut ? [...values, last] : values }
    const query: DetailsQuery = async (sql, values) => await this.query(sql, values)
    const [comments, columns, foreignKeys] = await Promise.all([tableComments(query, scope), columnsByTable(query, scope, dialect), foreignKeysByTable(query, scope)])
    const tables = names.tables.map(({ name, type }) => ({ name, type, comment: comments.get(name) ?? '', columns: columns.get(name) ?? [], foreign_keys: foreignKeys.get(name) ?? [] }))
    return { tables, total: names.total }
  }

  /**
   * The tables of `database` that `table`, which does not exist, may have meant, for an answer to
   * name: those the server's comparison of names takes for it though they are spelled otherwise
   * (another case, trailing spaces), in the order of their bytes; without any, those near it (a few
   * edits away, or holding it), among the first NAMES_READ of the schema's names. The name
   * is compared in a function, so every table name of the schema is read: once, for both.
   */
  async similarTables (database: string, table: string): Promise<NamesMeant> {
    if (!nameable(database)) return NOTHING_MEANT
    // One reading of the names: the server says which it takes for `table`; those come first. A
    // name no identifier can hold (an emoji) the server cannot compare (1267): it takes none.
    const compared = nameable(database, table)
    const rows = await this.query<NameRow & { same: number | string }>(`SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, ${compared ? 'UPPER(TABLE_NAME) = UPPER(?)' : '0'} AS same
      FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_SCHEMA = BINARY ?
      ORDER BY same DESC, BINARY TABLE_NAME LIMIT ${NAMES_READ}`, compared ? [table, database, database] : [database, database])
    const names = rows.filter((row) => row.db === database)
    const otherCase = names.filter((row) => Number(row.same) === 1 && row.name !== table).map((row) => row.name)
    if (otherCase.length > 0) return { names: otherCase.slice(0, MAX_OTHER_CASE), otherCase: true }
    return { names: nearNames(table, names.map((row) => row.name), MAX_MEANT), otherCase: false }
  }

  /**
   * The tables of `database` that the server's comparison of names takes for `table`, `table`
   * itself among them when it exists, in the order of their bytes. The name is compared in a
   * function, so every table name of the schema is read.
   */
  async tablesNamed (database: string, table: string): Promise<string[]> {
    if (!nameable(database, table)) return []
    const rows = await this.query<NameRow>(`SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = ? AND TABLE_SCHEMA = BINARY ? AND UPPER(TABLE_NAME) = UPPER(?) ORDER BY BINARY TABLE_NAME LIMIT ${MAX_OTHER_CASE}`, [database, database, table])
    return rows.filter((row) => row.db === database).map((row) => row.name)
  }

  /**
   * The columns of those of `tables` that exist, spelt exactly so, in the order of the tables'
   * databases, names and columns. Each table is looked up on its own (`TABLE_NAME = ?`, which the
   * server answers from that table alone; an `IN (...)` list would have it open every table of
   * the schema).
   */
  async columnsOf (tables: ReadonlyArray<{ database: string, table: string }>): Promise<Array<{ database: string, table: string, column: string }>> {
    const named = tables.filter(({ database, table }) => nameable(database, table))
    if (named.length === 0) return []
    const lookup = 'SELECT TABLE_SCHEMA AS db, TABLE_NAME AS table_name, COLUMN_NAME AS name, ORDINAL_POSITION AS position FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?'
    const rows = await this.query<{ db: string, table_name: string, name: string, position: number } & RowDataPacket>(
      `${named.map(() => `(${lookup})`).join(' UNION ALL ')} ORDER BY db, table_name, position`, named.flatMap(({ database, table }) => [database, table]))
    return rows
      .filter((row) => named.some(({ database, table }) => row.db === database && row.table_name === table))
      .map((row) => ({ database: row.db, table: row.table_name, column: row.name }))
  }

  /** The connected server's built-in functions (the gateway's list for its dialect, upper-cased), for an answer to name when a call's function does not exist. */
  async builtInFunctions (): Promise<readonly string[]> {
    return builtInNames(await this.mysql.dialect())
  }

  /** The stored functions of `database`, for an answer to name when a call's function does not exist. */
  async functionsOf (database: string): Promise<string[]> {
    if (!nameable(database)) return []
    const rows = await this.query<{ db: string, name: string } & RowDataPacket>(`SELECT ROUTINE_SCHEMA AS db, ROUTINE_NAME AS name FROM information_schema.ROUTINES
      WHERE ROUTINE_SCHEMA = ? AND ROUTINE_SCHEMA = BINARY ? AND ROUTINE_TYPE = 'FUNCTION' ORDER BY BINARY ROUTINE_NAME LIMIT ${NAMES_READ}`, [database, database])
    return rows.filter((row) => row.db === database).map((row) => row.name)
  }
}

/** The information_schema condition (and its values) for `database`'s tables, or only `table`. */
function inSchema (database: string, table: string | undefined): [where: string, values: string[]] {
  return table === undefined
    ? ['TABLE_SCHEMA = ?', [database]]
    : ['TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, table]]
}

export default fp(async function catalogPlugin (fastify) {
  const { DATABASE_ALLOWLIST: allowlist, CATALOG_MAX_TABLES: maxTables, QUERY_TIMEOUT_MS: timeoutMs } = fastify.config
  fastify.decorate('catalog', new Catalog(fastify.mysql, allowlist.length === 0 ? null : new Set(allowlist), maxTables, createCatalogRead(fastify.mysql, timeoutMs)))
}, { name: 'catalog', dependencies: ['config', 'mysql'] })
