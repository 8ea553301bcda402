import t from 'tap'
import { detectDialect, isSystemSchema, limitsStatement, normalizeColumnDefault, pinnedSqlMode, sessionSetup } from '../../../../plugins/app/database/dialect.js'

t.test('dialect detection from VERSION()', async (t) => {
  t.equal(detectDialect('8.0.11-TiDB-v8.5.0'), 'tidb')
  t.equal(detectDialect('5.7.25-TiDB-v7.1.1'), 'tidb')
  t.equal(detectDialect('10.11.19-MariaDB-0+deb12u1'), 'mariadb')
  t.equal(detectDialect('8.4.3'), 'mysql')
  t.equal(detectDialect('8.0.39-0ubuntu0.22.04.1'), 'mysql')
})

t.test('limits: MariaDB in seconds for every statement, MySQL and TiDB in ms', async (t) => {
  t.equal(limitsStatement('mariadb', 1500, 1001), 'SET SESSION max_statement_time = 1.500, sql_select_limit = 1001')
  t.equal(limitsStatement('mysql', 1500, 1001), 'SET SESSION max_execution_time = 1500, sql_select_limit = 1001')
  t.equal(limitsStatement('tidb', 250, 11), 'SET SESSION max_execution_time = 250, sql_select_limit = 11')
})

t.test('session setup: read-only where the dialect has it; TiDB has no read-only transactions', async (t) => {
  t.strictSame(sessionSetup('mariadb', 'STRICT_TRANS_TABLES', true), {
    dialect: 'mariadb',
    init: 'SET SESSION sql_mode = ?, session_track_state_change = ON, tx_read_only = 1',
    values: ['STRICT_TRANS_TABLES,IGNORE_SPACE']
  })
  t.strictSame(sessionSetup('mysql', '', true).init, 'SET SESSION sql_mode = ?, session_track_state_change = ON, transaction_read_only = 1')
  t.strictSame(sessionSetup('tidb', 'ANSI_QUOTES', true), { dialect: 'tidb', init: 'SET SESSION sql_mode = ?', values: ['IGNORE_SPACE,STRICT_TRANS_TABLES'] })
  t.strictSame(sessionSetup('mariadb', '', false).init, 'SET SESSION sql_mode = ?, session_track_state_change = ON')
})

t.test('pinned sql_mode drops the modes that change how quotes and backslashes lex', async (t) => {
  t.equal(pinnedSqlMode('REAL_AS_FLOAT,PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ANSI'), 'REAL_AS_FLOAT,PIPES_AS_CONCAT,IGNORE_SPACE,STRICT_TRANS_TABLES')
  t.equal(pinnedSqlMode('STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES'), 'STRICT_TRANS_TABLES,IGNORE_SPACE', 'a name and its parenthesis may stand apart, as the classifier reads them')
  t.equal(pinnedSqlMode('STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ignore_space'), 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ignore_space', 'either strict mode is strict')
  t.equal(pinnedSqlMode('TRADITIONAL'), 'TRADITIONAL,IGNORE_SPACE', "MySQL 5's combination mode is strict")
  t.equal(pinnedSqlMode('ORACLE'), 'IGNORE_SPACE,STRICT_TRANS_TABLES')
  t.equal(pinnedSqlMode(''), 'IGNORE_SPACE,STRICT_TRANS_TABLES', 'a server that is not strict: sqlgate connections are')
})

t.test('system schemas, in any case', async (t) => {
  for (const name of ['mysql', 'INFORMATION_SCHEMA', 'performance_schema', 'sys', 'METRICS_SCHEMA']) t.ok(isSystemSchema(name), name)
  t.notOk(isSystemSchema('mysql_app'))
})

t.test('column defaults: MariaDB quotes literals and spells NULL', async (t) => {
  t.equal(normalizeColumnDefault('mariadb', "'it''s'"), "it's")
  t.equal(normalizeColumnDefault('mariadb', 'NULL'), null)
  t.equal(normalizeColumnDefault('mariadb', 'current_timestamp()'), 'current_timestamp()')
  t.equal(normalizeColumnDefault('mysql', 'NULL'), 'NULL', 'MySQL reports the bare value: the text NULL is a string default')
  t.equal(normalizeColumnDefault('tidb', null), null)
})

t.test('TLS options: TLS 1.2 at least, verification on unless turned off, a CA file when given', async (t) => {
  const { tlsOptions } = await import('../../../../plugins/app/database/dialect.js')
  t.equal(tlsOptions({ enabled: false, verify: true }, () => ''), undefined)
  t.strictSame(tlsOptions({ enabled: true, verify: true }, () => ''), { minVersion: 'TLSv1.2', rejectUnauthorized: true })
  t.strictSame(tlsOptions({ enabled: true, verify: false, caFile: '/ca.pem' }, (path) => `PEM of ${path}`),
    { minVersion: 'TLSv1.2', rejectUnauthorized: false, ca: 'PEM of /ca.pem' })
})
