import fp from 'fastify-plugin'
import type { RowDataPacket } from 'mysql2/promise'
import { isSystemSchema, normalizeColumnDefault } from '../../lib/dialect.js'
import { toAppError } from '../../lib/mysql-errors.js'
import type { TableSchema, TableSummary } from '../../schemas/database.js'
import type { createMysql } from './mysql.js'

declare module 'fastify' {
  interface FastifyInstance {
    catalog: ReturnType<typeof createCatalog>
  }
}

type Mysql = ReturnType<typeof createMysql>

/**
 * What databases, tables and columns a session may see. Names are always bound as parameters
 * and compared exactly in JavaScript: information_schema compares case-insensitively and
 * ignores trailing spaces, so 'SALES ' would otherwise match 'sales'.
 */
export function createCatalog (mysql: Mysql, allowlist: readonly string[]) {
  const allowed = allowlist.length === 0 ? null : new Set(allowlist)
  const isAllowed = (name: string): boolean =>
    !isSystemSchema(name) && (allowed === null || allowed.has(name))

  async function query<T extends RowDataPacket> (sql: string, values: unknown[] = []): Promise<T[]> {
    try {
      return await mysql.query<T[]>(sql, values)
    } catch (err) {
      throw toAppError(err)
    }
  }

  async function listDatabases (): Promise<string[]> {
    const rows = await query<{ name: string } & RowDataPacket>(
      'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME')
    return rows.map((row) => row.name).filter(isAllowed)
  }

  /** The tables of `database`; only `table` when given (compared exactly, as database names are). */
  async function listTables (database: string, table?: string): Promise<TableSummary[]> {
    const [where, values] = inSchema(database, table)
    const rows = await query<{ db: string, name: string, type: string, rows_estimate: string | null } & RowDataPacket>(
      `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, TABLE_TYPE AS type, TABLE_ROWS AS rows_estimate
         FROM information_schema.TABLES WHERE ${where} ORDER BY TABLE_NAME`, values)
    return rows.filter((row) => row.db === database && (table === undefined || row.name === table)).map((row) => ({
      name: row.name,
      type: row.type,
      rows_estimate: row.rows_estimate === null ? null : Number(row.rows_estimate)
    }))
  }

  return {
    isAllowed,

    listDatabases,

    /**
     * True when `name` is a database this gateway serves, spelled exactly so. Membership in the
     * full listing, not a WHERE lookup: MariaDB answers `SCHEMA_NAME = 'db\0'` with a row that
     * echoes the asked name, because its lookup ends the name at the NUL byte.
     */
    async databaseExists (name: string): Promise<boolean> {
      if (!isAllowed(name)) return false
      return (await listDatabases()).includes(name)
    },

    listTables,

    /** Every table of `database` (only `table` when given) with its columns in table order. */
    async describe (database: string, table?: string): Promise<TableSchema[]> {
      const [where, values] = inSchema(database, table)
      const [dialect, tables, columns] = await Promise.all([
        mysql.dialect(),
        listTables(database, table),
        query<{ db: string, table_name: string, name: string, type: string, nullable: string, column_key: string, column_default: string | null } & RowDataPacket>(
          `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS table_name, COLUMN_NAME AS name, COLUMN_TYPE AS type,
                  IS_NULLABLE AS nullable, COLUMN_KEY AS column_key, COLUMN_DEFAULT AS column_default
             FROM information_schema.COLUMNS WHERE ${where} ORDER BY TABLE_NAME, ORDINAL_POSITION`, values)
      ])
      const byTable = new Map<string, TableSchema>(
        tables.map((table) => [table.name, { name: table.name, type: table.type, columns: [] }]))
      for (const column of columns) {
        if (column.db !== database) continue
        byTable.get(column.table_name)?.columns.push({
          name: column.name,
          type: column.type,
          nullable: column.nullable === 'YES',
          key: column.column_key,
          default: normalizeColumnDefault(dialect, column.column_default)
        })
      }
      return [...byTable.values()]
    }
  }
}

/** The information_schema condition (and its values) for `database`'s tables, or only `table`. */
function inSchema (database: string, table: string | undefined): [where: string, values: string[]] {
  return table === undefined
    ? ['TABLE_SCHEMA = ?', [database]]
    : ['TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, table]]
}

export default fp(async function catalogPlugin (fastify) {
  fastify.decorate('catalog', createCatalog(fastify.mysql, fastify.config.DATABASE_ALLOWLIST))
}, { name: 'catalog', dependencies: ['config', 'mysql'] })
