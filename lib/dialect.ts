/**
 * Everything that differs between TiDB, MariaDB and MySQL lives here, so the rest of the
 * service asks one question ("which dialect?") instead of sniffing versions itself.
 */
export type DialectName = 'tidb' | 'mariadb' | 'mysql'

export function detectDialect (version: string): DialectName {
  if (/tidb/i.test(version)) return 'tidb'
  if (/mariadb/i.test(version)) return 'mariadb'
  return 'mysql'
}

/** Schemas that hold the server's own metadata: never listed, never selectable. */
const SYSTEM_SCHEMAS = new Set([
  'information_schema',
  'performance_schema',
  'mysql',
  'sys',
  'metrics_schema' // TiDB
])

export function isSystemSchema (name: string): boolean {
  return SYSTEM_SCHEMAS.has(name.toLowerCase())
}

/**
 * information_schema.COLUMNS.COLUMN_DEFAULT as the value a user would write.
 * MariaDB (10.2.7+) reports literals SQL-quoted ('abc') and a NULL default as the text NULL;
 * MySQL and TiDB report the bare value and SQL NULL.
 */
export function normalizeColumnDefault (dialect: DialectName, value: string | null): string | null {
  if (value === null || dialect !== 'mariadb') return value
  if (value === 'NULL') return null
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) {
    return value.slice(1, -1).replace(/''/g, "'").replace(/\\\\/g, '\\')
  }
  return value
}
