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
 * Whether `name` can be the name of a database or table at all: MySQL, MariaDB and TiDB take
 * identifiers from Unicode's Basic Multilingual Plane without U+0000. A name outside it (an emoji)
 * names nothing; compared in information_schema, whose names are utf8mb3, it is an error (1267,
 * "Illegal mix of collations") rather than no match.
 */
export function canBeIdentifier (name: string): boolean {
  return !UNNAMEABLE.test(name)
}

/** A database (and table) that can exist: others are not looked up in the catalog, they name nothing. */
export function nameable (database: string, table?: string): boolean {
  return canBeIdentifier(database) && (table === undefined || canBeIdentifier(table))
}
// eslint-disable-next-line no-control-regex
const UNNAMEABLE = /[\u0000\u{10000}-\u{10FFFF}]/u

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

/** sql_mode flags that change how strings and quotes lex; removed so the classifier and the server agree. */
const LEXING_MODES = new Set(['ANSI_QUOTES', 'NO_BACKSLASH_ESCAPES', 'ANSI', 'ORACLE', 'MSSQL', 'DB2', 'POSTGRESQL', 'MAXDB'])
const STRICT_MODES = new Set(['STRICT_TRANS_TABLES', 'STRICT_ALL_TABLES', 'TRADITIONAL'])

/**
 * The server's sql_mode with the lexing modes removed, with IGNORE_SPACE, and strict. IGNORE_SPACE
 * makes `now ()` the built-in NOW(), as the classifier reads any name before a parenthesis; without
 * it the server reads a function keyword (NOW, SUM, COUNT, …) with a space or a comment before its
 * parenthesis as a stored function's name. Where the server's default is not strict (a DBA's
 * choice), STRICT_TRANS_TABLES is added, so a write whose value does not fit its column
 * ('abcdefgh' into VARCHAR(5), '12abc' into an INT) is an error rather than a truncated value and
 * a warning nobody reads.
 */
export function pinnedSqlMode (current: string): string {
  const modes = current.split(',').filter((mode) => mode !== '' && !LEXING_MODES.has(mode.toUpperCase()))
  if (!modes.some((mode) => mode.toUpperCase() === 'IGNORE_SPACE')) modes.push('IGNORE_SPACE')
  if (!modes.some((mode) => STRICT_MODES.has(mode.toUpperCase()))) modes.push('STRICT_TRANS_TABLES')
  return modes.join(',')
}

export interface SessionSetup {
  dialect: DialectName
  /** One SET statement run when a pooled connection is first used, and again after each reset (see connection-state.ts, setupStatement). */
  init: string
  values: unknown[]
}

/**
 * What each new connection is set to: lexing pinned; session-state tracking, so a statement that
 * changes session state is seen and its connection retired; and the database's own read-only mode
 * where the dialect has one (TiDB has none: there the classifier stands alone).
 */
export function sessionSetup (dialect: DialectName, sqlMode: string, readOnly: boolean, writeTimeoutSeconds?: number): SessionSetup {
  const assignments = ['sql_mode = ?']
  if (dialect !== 'tidb') assignments.push('session_track_state_change = ON')
  if (readOnly && dialect === 'mariadb') assignments.push('tx_read_only = 1')
  if (readOnly && dialect === 'mysql') assignments.push('transaction_read_only = 1')
  // How long the server waits for a client that reads none of its rows before it drops the
  // statement (60 s by default): an export's reader may pause longer than that and still read on.
  if (writeTimeoutSeconds !== undefined) assignments.push(`net_write_timeout = ${Math.trunc(writeTimeoutSeconds)}`)
  return { dialect, init: `SET SESSION ${assignments.join(', ')}`, values: [pinnedSqlMode(sqlMode)] }
}

/**
 * The statement timeout, enforced by the server, and the row cap for top-level SELECTs
 * (sql_select_limit: the server stops producing rows past it). MariaDB's max_statement_time
 * (seconds) covers every statement; MySQL's and TiDB's max_execution_time (ms) covers SELECTs,
 * and KILL QUERY is the fallback for the rest.
 */
export function limitsStatement (dialect: DialectName, timeoutMs: number, selectLimit: number): string {
  return `SET SESSION ${limitsAssignments(dialect, timeoutMs, selectLimit)}`
}

/** limitsStatement's assignments, for a SET that sets more. */
export function limitsAssignments (dialect: DialectName, timeoutMs: number, selectLimit: number): string {
  const timeout = dialect === 'mariadb'
    ? `max_statement_time = ${(timeoutMs / 1000).toFixed(3)}`
    : `max_execution_time = ${Math.trunc(timeoutMs)}`
  return `${timeout}, sql_select_limit = ${Math.trunc(selectLimit)}`
}

/** Server errors that mean "your statement ran out of time". */
export const TIMEOUT_ERRNOS = new Set([
  1969, // MariaDB ER_STATEMENT_TIMEOUT (max_statement_time)
  3024 // MySQL and TiDB ER_QUERY_TIMEOUT (max_execution_time)
])
export const ER_QUERY_INTERRUPTED = 1317

export interface TlsSettings {
  enabled: boolean
  caFile?: string | undefined
  verify: boolean
}

/**
 * mysql2's `ssl` option: TLS 1.2 at least, the server's certificate and name verified unless
 * told otherwise, and never a silent fall-back to plaintext (a server without TLS is refused).
 */
export function tlsOptions (settings: TlsSettings, readFile: (path: string) => string): Record<string, unknown> | undefined {
  if (!settings.enabled) return undefined
  return {
    minVersion: 'TLSv1.2',
    rejectUnauthorized: settings.verify,
    ...(settings.caFile === undefined ? {} : { ca: readFile(settings.caFile) })
  }
}
