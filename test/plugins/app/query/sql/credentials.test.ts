import t from 'tap'
import { classify } from '../../../../../plugins/app/query/sql/classifier.js'
import { credentialsReference } from '../../../../../plugins/app/query/sql/credentials.js'
import { lex } from '../../../../../plugins/app/query/sql/lexer.js'
import { sqlServer, type SqlServer } from '../../../../../plugins/app/query/sql/server.js'
import { AppError } from '../../../../../plugins/app/errors/errors.js'

const MARIADB = sqlServer('10.11.19-MariaDB')
const MYSQL_8 = sqlServer('8.0.36')
const MYSQL_56 = sqlServer('5.6.51')
const TIDB = sqlServer('8.0.11-TiDB-v8.5.0')

function codeOf (sql: string, readOnly: boolean, server = MARIADB): string {
  try {
    classify(sql, readOnly, server)
    return 'ok'
  } catch (err) {
    if (err instanceof AppError) return err.code
    throw err
  }
}

t.test('what shows the database user\'s password hash or other servers\' passwords is refused in both modes, however it is spelt', async (t) => {
  for (const sql of ['SHOW GRANTS', 'show grants', 'SHOW GRANTS FOR CURRENT_USER', 'SHOW GRANTS FOR CURRENT_USER()', "SHOW GRANTS FOR 'sqlgate'@'%'", 'SHOW /*x*/ GRANTS',
    '/*!SHOW GRANTS*/', 'SHOW/*!GRANTS*/', 'SHOW CREATE USER CURRENT_USER', 'show create user sqlgate@localhost', 'SHOW CREATE SERVER s',
    'SELECT authentication_string FROM mysql.user', 'SELECT * FROM `mysql`.`user`', 'SELECT * FROM MySQL . USER', 'SELECT * FROM mysql/*x*/./*y*/user', 'TABLE mysql.user',
    'SELECT * FROM /*!mysql*/.user', 'SELECT priv FROM mysql.global_priv', 'SELECT password FROM mysql.servers', 'SELECT * FROM mysql.password_history',
    'SELECT * FROM mysql.slave_master_info', 'SELECT (SELECT MAX(Password) FROM mysql.user) AS p', 'WITH u AS (SELECT * FROM mysql.user) SELECT * FROM u',
    'SELECT 1 UNION SELECT authentication_string FROM mysql.user', 'SELECT mysql.user.user FROM mysql.user', 'SELECT * FROM mysql.`ūser`',
    'SELECT password FROM mysql.spider_tables', 'SELECT * FROM mysql.SPIDER_LINK_MON_SERVERS', 'TABLE mysql.spider_xa_member', 'SELECT * FROM `mysql`.`spider_xa_failed_log`']) {
    for (const readOnly of [true, false]) t.equal(codeOf(sql, readOnly), 'unsupported_statement', `${sql} (${readOnly ? 'read-only' : 'writes allowed'})`)
  }
})

t.test('with writes allowed, neither a view nor a stored program keeps them for later', async (t) => {
  for (const sql of ['CREATE VIEW v AS SELECT user, authentication_string FROM mysql.user', 'CREATE PROCEDURE p() SHOW GRANTS',
    'CREATE PROCEDURE p() BEGIN DECLARE x INT; SHOW CREATE USER CURRENT_USER; END', 'CREATE FUNCTION f() RETURNS TEXT RETURN (SELECT MAX(password) FROM mysql.user)',
    'CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.x = (SELECT MAX(priv) FROM mysql.global_priv)']) {
    t.equal(codeOf(sql, false), 'unsupported_statement', sql)
  }
})

t.test('SHOW GRANTS is refused where it carries the hash: MariaDB and MySQL before 5.7.6; MySQL 8 and TiDB show grants alone', async (t) => {
  const grants = (server: SqlServer) => credentialsReference(lex('SHOW GRANTS', server), false, server)
  t.equal(grants(MARIADB), 'SHOW GRANTS')
  t.equal(grants(MYSQL_56), 'SHOW GRANTS')
  t.equal(grants(MYSQL_8), null)
  t.equal(grants(TIDB), null)
  for (const server of [MARIADB, MYSQL_8, MYSQL_56, TIDB]) {
    t.equal(codeOf('SHOW CREATE USER CURRENT_USER', true, server), 'unsupported_statement', `SHOW CREATE USER on ${server.dialect} ${server.version}`)
    t.equal(codeOf('SELECT * FROM mysql.user', true, server), 'unsupported_statement', `mysql.user on ${server.dialect} ${server.version}`)
  }
})

t.test('TiDB\'s SHOW SESSION_STATES (a session token that logs in as the user, and the connection\'s state) is refused on every server, in both modes', async (t) => {
  // Every server: a TiDB can name itself MySQL in its version (its server-version setting).
  for (const server of [TIDB, MYSQL_8, MARIADB]) {
    for (const sql of ['SHOW SESSION_STATES', 'show session_states', 'SHOW /*x*/ SESSION_STATES', '/*T! SHOW SESSION_STATES */', 'SHOW /*!SESSION_STATES*/']) {
      for (const readOnly of [true, false]) {
        const expected = server === TIDB || !sql.includes('/*T!') ? 'unsupported_statement' : 'empty_query'
        t.equal(codeOf(sql, readOnly, server), expected, `${sql} on ${server.dialect} (${readOnly ? 'read-only' : 'writes allowed'})`)
      }
    }
  }
  t.equal(credentialsReference(lex('SHOW SESSION_STATES', TIDB), false, TIDB), 'SHOW SESSION_STATES')
  t.equal(codeOf('SELECT session_states FROM t', true, TIDB), 'ok', 'a column of that name')
  t.equal(codeOf('SHOW SESSION VARIABLES', true, TIDB), 'ok', 'the session\'s variables, which hold no token')
})

t.test('names that only look alike pass: another schema\'s user table, a column or table named user, the privileges views', async (t) => {
  for (const sql of ['SELECT * FROM user', 'SELECT user FROM t', 'SELECT u.user FROM accounts u', 'SELECT * FROM app.user', 'SELECT * FROM mysqlx.user',
    "SELECT 'mysql.user'", 'SELECT * FROM mysql.db', 'SELECT * FROM mysql.time_zone_name', 'SHOW CREATE TABLE t', 'SHOW CREATE VIEW v',
    'SELECT * FROM information_schema.SCHEMA_PRIVILEGES', 'SELECT * FROM information_schema.USER_PRIVILEGES', 'SELECT CURRENT_USER()', 'SHOW TABLES']) {
    t.equal(codeOf(sql, true), 'ok', sql)
  }
  t.equal(codeOf('SHOW GRANTS', true, TIDB), 'ok', 'TiDB\'s SHOW GRANTS')
  t.equal(codeOf('CREATE TABLE user (id INT, password VARCHAR(64))', false), 'ok', 'a table of the session\'s database named user')
})

t.test('the refusal says what it would have shown and where the privileges are', async (t) => {
  const refusal = (sql: string) => {
    try {
      classify(sql, true, MARIADB)
    } catch (err) {
      return (err as AppError).message
    }
    return ''
  }
  t.match(refusal('SHOW GRANTS'), /^SHOW GRANTS is not supported: on this server its first line carries the password hash .*information_schema\.SCHEMA_PRIVILEGES/)
  t.match(refusal('SELECT * FROM MySQL.Servers'), /^mysql\.servers is not supported: it shows the password this server keeps for another server/)
  t.match(refusal('SELECT * FROM mysql.spider_tables'), /^mysql\.spider_tables is not supported: it shows the password this server keeps for another server/)
  t.match(refusal('SELECT * FROM mysql.user'), /^mysql\.user is not supported: it holds the database accounts' password hashes/)
  t.match(refusal('SHOW SESSION_STATES'), /^SHOW SESSION_STATES is not supported: on TiDB it answers with a session token, which logs in as the database user .* A query's answer carries its own warnings\. Nothing was sent/)
})
