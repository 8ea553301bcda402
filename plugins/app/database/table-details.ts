import type { RowDataPacket } from 'mysql2/promise'
import type { ColumnInfo, ForeignKey } from '../../../schemas/database.js'
import { normalizeColumnDefault, type DialectName } from './dialect.js'

/**
 * What describing a table reads besides its name: its comment, its columns and its foreign keys, from
 * information_schema, for the tables a schema answer lists (./catalog.ts, describe). Each read
 * takes the same condition on TABLE_SCHEMA and TABLE_NAME, and keeps only rows of the database
 * spelt exactly so (information_schema compares names case-insensitively).
 */

/** One catalog read (./catalog-read.ts) in the caller's turn. */
export type DetailsQuery = <T extends RowDataPacket>(sql: string, values: unknown[]) => Promise<T[]>

/** The tables a read covers: a condition on TABLE_SCHEMA and TABLE_NAME, its values, and the database they must be in. */
export interface TablesInScope {
  database: string
  where: string
  values: readonly unknown[]
}

type CommentRow = { db: string, name: string, type: string, comment: string | null } & RowDataPacket

/** The comments of the tables in scope, by table ('' for none, and for a view, whose comment MariaDB and MySQL give as 'VIEW'). */
export async function tableComments (query: DetailsQuery, scope: TablesInScope): Promise<Map<string, string>> {
  const rows = await query<CommentRow>(
    `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name, TABLE_TYPE AS type, TABLE_COMMENT AS comment
       FROM information_schema.TABLES WHERE ${scope.where}`, [...scope.values])
  const comments = new Map<string, string>()
  for (const row of rows) {
    if (row.db === scope.database) comments.set(row.name, row.type === 'VIEW' ? '' : row.comment ?? '')
  }
  return comments
}

type ColumnRow = { db: string, table_name: string, name: string, type: string, nullable: string, column_key: string, column_default: string | null, comment: string } & RowDataPacket

/** The columns of the tables in scope, by table, in table order. */
export async function columnsByTable (query: DetailsQuery, scope: TablesInScope, dialect: DialectName): Promise<Map<string, ColumnInfo[]>> {
  const rows = await query<ColumnRow>(
    `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS table_name, COLUMN_NAME AS name, COLUMN_TYPE AS type,
            IS_NULLABLE AS nullable, COLUMN_KEY AS column_key, COLUMN_DEFAULT AS column_default, COLUMN_COMMENT AS comment
       FROM information_schema.COLUMNS WHERE ${scope.where} ORDER BY TABLE_NAME, ORDINAL_POSITION`, [...scope.values])
  const byTable = new Map<string, ColumnInfo[]>()
  for (const row of rows) {
    if (row.db !== scope.database) continue
    const column: ColumnInfo = {
      name: row.name,
      type: row.type,
      nullable: row.nullable === 'YES',
      key: row.column_key,
      default: normalizeColumnDefault(dialect, row.column_default),
      comment: row.comment ?? ''
    }
    let columns = byTable.get(row.table_name)
    if (columns === undefined) byTable.set(row.table_name, columns = [])
    columns.push(column)
  }
  return byTable
}

type KeyRow = { db: string, table_name: string, name: string, column_name: string, ref_db: string, ref_table: string, ref_column: string } & RowDataPacket

/**
 * The foreign keys of the tables in scope, by table and then by name, each with its columns in the
 * key's order. A key's rows are KEY_COLUMN_USAGE's rows that name a referenced table (the others
 * are primary and unique keys).
 */
export async function foreignKeysByTable (query: DetailsQuery, scope: TablesInScope): Promise<Map<string, ForeignKey[]>> {
  const rows = await query<KeyRow>(
    `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS table_name, CONSTRAINT_NAME AS name, COLUMN_NAME AS column_name,
            REFERENCED_TABLE_SCHEMA AS ref_db, REFERENCED_TABLE_NAME AS ref_table, REFERENCED_COLUMN_NAME AS ref_column
       FROM information_schema.KEY_COLUMN_USAGE WHERE ${scope.where} AND REFERENCED_TABLE_NAME IS NOT NULL
      ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`, [...scope.values])
  const byTable = new Map<string, ForeignKey[]>()
  for (const row of rows) {
    if (row.db !== scope.database) continue
    let keys = byTable.get(row.table_name)
    if (keys === undefined) byTable.set(row.table_name, keys = [])
    let key = keys.at(-1)
    if (key?.name !== row.name) {
      key = { name: row.name, columns: [], references: { database: row.ref_db, table: row.ref_table, columns: [] } }
      keys.push(key)
    }
    key.columns.push(row.column_name)
    key.references.columns.push(row.ref_column)
  }
  return byTable
}
