import { AppError } from '../../errors/errors.js'
import type { Token } from './lexer.js'
import type { SqlServer } from './server.js'
import { keyword, qualifiedName, statementStarts } from './tokens.js'

/**
 * What shows credentials the database server keeps: the password hash of the one database user
 * every session's statements run as, other accounts' hashes, and the passwords it holds for other
 * servers. A hash is all an offline guesser needs, and with mysql_native_password it is what the
 * login's challenge is checked against. The server shows a user its own hash without any
 * privilege: MariaDB's SHOW GRANTS (its USAGE line: `IDENTIFIED BY PASSWORD '*…'`, MySQL's before
 * 5.7.6 too) and SHOW CREATE USER on every server (`… AS '$A$005$…'` on MySQL and TiDB). TiDB's
 * SHOW SESSION_STATES, which TiProxy runs on a client's own connection to move it to another TiDB
 * (so it needs no privilege), answers with a session token: signed with the cluster's session
 * certificate wherever one is set (TiUP and TiDB Operator set one for TiProxy), it logs in as
 * the user, sent as the password, for a minute. Its other column is the connection's state,
 * which the gateway refuses piece by piece: the previous statement's warnings, found and affected
 * rows, last insert id and query, user variables and prepared statements.
 */

/** Tables of the `mysql` schema that hold password hashes, or other servers' passwords as written. */
const CREDENTIAL_TABLES = new Set([
  'USER', 'GLOBAL_PRIV', // every account's hash (MariaDB's user is a view of global_priv)
  'PASSWORD_HISTORY', 'PASSWORD_REUSE_CHECK_HISTORY', // accounts' past hashes (MySQL and TiDB; MariaDB's plugin)
  'SERVERS', // CREATE SERVER's OPTIONS, the PASSWORD included, for FEDERATED, SPIDER and CONNECT tables
  'SLAVE_MASTER_INFO', // MySQL's replication source's user and password, with master_info_repository=TABLE
  // MariaDB's Spider engine: each link's, each monitoring server's and each XA member's user and password
  'SPIDER_TABLES', 'SPIDER_LINK_MON_SERVERS', 'SPIDER_XA_MEMBER', 'SPIDER_XA_FAILED_LOG'
])

/**
 * SHOW CREATE USER and SHOW CREATE SERVER (MariaDB 11.7's shows its OPTIONS, the password
 * included); SHOW GRANTS where it shows the hash; SHOW SESSION_STATES on every server (a TiDB may
 * name itself MySQL in its version, with its `server-version` setting); and CREDENTIAL_TABLES
 * named with their schema (a session's database is never a system schema), however either is
 * spelt, in the statement and in each statement of a stored program's body (`program`). What it
 * found, or null.
 */
export function credentialsReference (tokens: readonly Token[], program: boolean, server: SqlServer): string | null {
  for (const start of statementStarts(tokens, program)) {
    if (keyword(tokens[start]) !== 'SHOW') continue
    const what = keyword(tokens[start + 1])
    if (what === 'CREATE' && ['USER', 'SERVER'].includes(keyword(tokens[start + 2]))) return `SHOW CREATE ${keyword(tokens[start + 2])}`
    if (what === 'GRANTS' && grantsShowHash(server)) return 'SHOW GRANTS'
    if (what === 'SESSION_STATES') return 'SHOW SESSION_STATES'
  }
  for (let i = 0; i < tokens.length; i++) {
    const named = qualifiedName(tokens, i)
    if (named?.schema === 'MYSQL' && CREDENTIAL_TABLES.has(named.name)) return `mysql.${named.name.toLowerCase()}`
  }
  return null
}

/** Whether the server's SHOW GRANTS carries the user's password hash: MariaDB's does, MySQL's until 5.7.6; TiDB's never. */
function grantsShowHash (server: SqlServer): boolean {
  return server.dialect === 'mariadb' || (server.dialect === 'mysql' && server.version < 50706)
}

/** What each refused statement or table would have shown. */
function shown (found: string): string {
  if (found === 'SHOW SESSION_STATES') {
    return 'on TiDB it answers with a session token, which logs in as the database user (the one every session\'s statements run as) without its password for a minute, and with the state other sessions\' statements left on the pooled connection (their warnings, last results, variables and prepared statements)'
  }
  if (found === 'SHOW GRANTS') return 'on this server its first line carries the password hash of the database user, the one every session\'s statements run as'
  if (found === 'SHOW CREATE USER') return 'it shows the account\'s password hash, and every session\'s statements run as the gateway\'s one database user'
  if (found === 'SHOW CREATE SERVER' || found === 'mysql.servers' || found === 'mysql.slave_master_info' || found.startsWith('mysql.spider_')) return 'it shows the password this server keeps for another server'
  return 'it holds the database accounts\' password hashes, the gateway\'s own user\'s among them'
}

/** In both modes, and in a stored program's body: refuses what credentialsReference finds. */
export function refuseCredentials (tokens: readonly Token[], program: boolean, server: SqlServer): void {
  const found = credentialsReference(tokens, program, server)
  if (found === null) return
  const instead = found === 'SHOW SESSION_STATES'
    ? 'A query\'s answer carries its own warnings.'
    : 'The privileges the gateway\'s user has are in information_schema.SCHEMA_PRIVILEGES, TABLE_PRIVILEGES and USER_PRIVILEGES.'
  throw new AppError('unsupported_statement', `${found} is not supported: ${shown(found)}. ${instead} Nothing was sent to the database.`)
}
