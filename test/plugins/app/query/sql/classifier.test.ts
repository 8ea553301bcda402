import t, { type Test } from 'tap'
import { classify as classifyOn } from '../../../../../plugins/app/query/sql/classifier.js'
import { sqlServer } from '../../../../../plugins/app/query/sql/server.js'
import { AppError } from '../../../../../plugins/app/errors/errors.js'

/** The server the tests here read statements for: this machine's MariaDB. */
const MARIADB = sqlServer('10.11.19-MariaDB')
const classify = (sql: string, readOnly: boolean) => classifyOn(sql, readOnly, MARIADB)

function codeOf (sql: string, readOnly = true): string {
  try {
    classify(sql, readOnly)
    return 'ok'
  } catch (err) {
    if (err instanceof AppError) return err.code
    throw err
  }
}

/** `sql` answers unsupported_statement whether writes are allowed or not. */
function unsupportedInBothModes (t: Test, sql: string): void {
  t.equal(codeOf(sql, true), 'unsupported_statement', `${sql} (read-only)`)
  t.equal(codeOf(sql, false), 'unsupported_statement', `${sql} (writes allowed)`)
}

const READS = [
  'SELECT 1',
  'select * from t',
  '  SELECT 1  ',
  'SELECT 1;',
  'SELECT 1 ;  -- trailing comment',
  'SELECT 1;;',
  '(SELECT 1)',
  '((SELECT a FROM t) UNION (SELECT b FROM u)) ORDER BY 1',
  'SELECT a FROM t UNION ALL SELECT b FROM u',
  'SELECT a FROM t INTERSECT SELECT a FROM u',
  'SELECT * FROM v_orders',
  'SELECT COUNT(*) AS n FROM orders WHERE total > ? AND status = ?',
  'SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = 1)',
  'SELECT * FROM t1 JOIN t2 ON t1.id = t2.id LEFT JOIN t3 USING (id)',
  'WITH x AS (SELECT 1 AS a) SELECT a FROM x',
  'WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT n FROM r',
  'WITH a AS (SELECT 1), b AS (SELECT 2) SELECT * FROM a, b',
  'WITH a AS (SELECT 1) (SELECT * FROM a)',
  'SHOW TABLES',
  'SHOW FULL COLUMNS FROM t',
  'SHOW CREATE TABLE t',
  'SHOW INDEX FROM t',
  'SHOW VARIABLES LIKE "max%"',
  'DESCRIBE t',
  'DESC t',
  'DESCRIBE `weird table` `col`',
  'DESCRIBE db.t',
  'EXPLAIN SELECT * FROM t',
  'EXPLAIN FORMAT=JSON SELECT * FROM t',
  'EXPLAIN FORMAT = TREE SELECT * FROM t',
  'EXPLAIN ANALYZE SELECT * FROM t',
  'EXPLAIN EXTENDED SELECT 1',
  'EXPLAIN t',
  'EXPLAIN WITH a AS (SELECT 1) SELECT * FROM a',
  'EXPLAIN TABLE t',
  'EXPLAIN (SELECT 1) UNION (SELECT 2)',
  'EXPLAIN FOR SCHEMA db SELECT * FROM t',
  'DESC format', // a table's name, however much it looks like an EXPLAIN modifier
  "DESC db.t 'a%'",
  'TABLE t',
  'VALUES ROW(1, 2), ROW(3, 4)',
  "SELECT 'DELETE FROM t' AS s",
  "SELECT 'it''s; DROP TABLE t' AS s",
  "SELECT 'back\\' ; DROP TABLE t; --' AS s",
  'SELECT "INTO OUTFILE" AS s',
  'SELECT `into`, `update`, `lock` FROM `for`',
  'SELECT 1 -- INTO OUTFILE "/tmp/x"',
  'SELECT 1 # ; DROP TABLE t',
  'SELECT /* ; DELETE FROM t */ 1',
  'SELECT /*+ NO_RANGE_OPTIMIZATION(t) */ * FROM t',
  'SELECT 1 /*!50000 + 1 */',
  'SELECT a FROM t WHERE b = @x',
  'SELECT @@version, @@session.sql_mode',
  'SELECT SLEEP(0)',
  'SELECT next_not_cached_value FROM seq',
  'SELECT * FROM t FOR SYSTEM_TIME AS OF TIMESTAMP \'2020-01-01\'',
  'SELECT CAST(x AS CHAR CHARACTER SET utf8mb4) FROM t',
  'SELECT CONVERT(x USING utf8mb4) FROM t',
  'SELECT JSON_EXTRACT(doc, "$.a") FROM t',
  'SELECT doc->>"$.a" FROM t',
  'SELECT share, nextval FROM t', // non-reserved words as column names
  'SELECT x FROM t WHERE y = X\'00ff\' AND z = _utf8mb4\'a\' AND w = N\'b\'',
  'SELECT 1--1',
  'SELECT ☃ FROM t',
  'select\n*\nfrom\tt',
  // a comment is read as the server reads it: to the end of the line (\n), not to a \r
  'SELECT 1 -- x\r INTO OUTFILE "/tmp/x"',
  'SELECT 1 # x\r INTO OUTFILE "/tmp/x"',
  'SELECT /*! 1 /* a comment inside */ */',
  // executable comments MariaDB 10.11 skips: a version above its own, MySQL 5.7+'s range, TiDB's
  'SELECT 1 /*!999999 INTO OUTFILE "/tmp/x" */',
  'SELECT 1 /*M!999999 INTO OUTFILE "/tmp/x" */',
  'SELECT 1 /*!50701 INTO OUTFILE "/tmp/x" */',
  'SELECT 1 /*T! INTO OUTFILE "/tmp/x" */'
]

const READ_ONLY_VIOLATIONS = [
  'INSERT INTO t VALUES (1)',
  'insert into t values (1)',
  'REPLACE INTO t VALUES (1)',
  'UPDATE t SET a = 1',
  'DELETE FROM t',
  'TRUNCATE t',
  'CREATE TABLE x (a INT)',
  'CREATE TEMPORARY TABLE x (a INT)',
  'CREATE VIEW v AS SELECT 1',
  'DROP TABLE t',
  'DROP DATABASE d',
  'ALTER TABLE t ADD COLUMN b INT',
  'RENAME TABLE t TO u',
  'GRANT ALL ON *.* TO u',
  'REVOKE ALL ON *.* FROM u',
  "CREATE USER u IDENTIFIED BY 'p'",
  'SET @a = 1',
  'SET SESSION TRANSACTION READ WRITE',
  'SET GLOBAL max_connections = 1',
  'SET autocommit = 0',
  "SET NAMES 'latin1'",
  'SET STATEMENT max_statement_time=100 FOR SELECT 1',
  'LOCK TABLES t WRITE',
  'UNLOCK TABLES',
  'START TRANSACTION',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'SAVEPOINT s',
  'XA START "x"',
  'CALL p()',
  'DO SLEEP(1)',
  'HANDLER t OPEN',
  'LOAD DATA INFILE "/etc/passwd" INTO TABLE t',
  'KILL 1',
  'KILL QUERY 1',
  'FLUSH TABLES',
  'ANALYZE TABLE t',
  'OPTIMIZE TABLE t',
  'PREPARE s FROM "DELETE FROM t"',
  'EXECUTE s',
  'INSTALL PLUGIN x SONAME "x.so"',
  'SHUTDOWN',
  'SELECT * FROM t FOR UPDATE',
  'SELECT * FROM t FOR SHARE',
  'SELECT * FROM t WHERE a = 1 FOR UPDATE NOWAIT',
  'SELECT * FROM t LOCK IN SHARE MODE',
  "SELECT * FROM t INTO OUTFILE '/tmp/x'",
  "SELECT * INTO DUMPFILE '/tmp/x' FROM t",
  'SELECT a INTO @v FROM t',
  'SELECT @a := 1',
  'SELECT @a:=1',
  'SELECT @a :/**/= 1',
  "SELECT GET_LOCK('x', 10)",
  "SELECT get_lock ('x', 10)",
  "SELECT GET_LOCK/**/('x', 10)",
  "SELECT RELEASE_LOCK('x')",
  "SELECT LOAD_FILE('/etc/passwd')",
  'SELECT NEXTVAL(seq)',
  'SELECT NEXT VALUE FOR seq',
  'SELECT SETVAL(seq, 100)',
  'SELECT LAST_INSERT_ID(5)',
  "SELECT MASTER_POS_WAIT('log', 4)",
  "SELECT WSREP_SYNC_WAIT_UPTO_GTID('0-1-5', 1)",
  "SELECT sys_exec('id')",
  'SELECT 1 PROCEDURE ANALYSE()',
  'WITH x AS (SELECT 1) DELETE FROM t',
  'WITH x AS (SELECT 1) UPDATE t SET a = 1',
  'WITH x AS (SELECT id FROM t FOR UPDATE) SELECT * FROM x',
  'EXPLAIN DELETE FROM t',
  'EXPLAIN ANALYZE DELETE FROM t',
  'EXPLAIN UPDATE t SET a = 1',
  'DESCRIBE INSERT INTO t VALUES (1)',
  // what else a server explains (and with ANALYZE runs) is refused whatever it is
  'EXPLAIN ANALYZE FOR SCHEMA db DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id',
  'EXPLAIN FOR DATABASE db UPDATE t SET a = 1',
  'EXPLAIN ANALYZE ALTER TABLE t ADD INDEX i (a)',
  "EXPLAIN ANALYZE IMPORT INTO t FROM 's3://bucket/t.csv'",
  "EXPLAIN ANALYZE 'e5b2c0a1'",
  "EXPLAIN 'e5b2c0a1'",
  'EXPLAIN (UPDATE t SET a = 1)',
  'EXPLAIN',
  'ANALYZE SELECT 1',
  // executable comments are code to the server, so they are code to us
  '/*!50000 DELETE FROM t */',
  '/*! DROP TABLE t */',
  '/*M! DROP TABLE t */',
  '/*M!100100 DROP TABLE t */',
  '/*!50699 DROP TABLE t */',
  'SELECT 1 /*! INTO OUTFILE "/tmp/x" */',
  'SELECT * FROM t /*!FOR UPDATE*/',
  // a number ends where the server's lexer ends it: 1e5INTO is 1e5 and INTO
  "SELECT 1e5INTO OUTFILE '/tmp/x'",
  'SELECT 1.5INTO @v',
  // names are names however they are spelled
  "SELECT `GET_LOCK`('x', 0)",
  "SELECT `load_file` ('/etc/hostname')",
  'SELECT `LAST_INSERT_ID`(42)',
  'SELECT `NEXTVAL`(s)',
  // leading comments and parentheses do not disguise the statement
  '/* hello */ DELETE FROM t',
  '-- hello\nDELETE FROM t',
  '(DELETE FROM t)',
  '  \n\t UPDATE t SET a = 1'
]

t.test('reads pass in read-only mode', async (t) => {
  for (const sql of READS) t.equal(codeOf(sql), 'ok', sql)
})

t.test('everything else is a read_only_violation before it reaches the database', async (t) => {
  for (const sql of READ_ONLY_VIOLATIONS) t.equal(codeOf(sql), 'read_only_violation', sql)
})

t.test('EXPLAIN admits a read or a table and nothing else, whatever statement follows, on every dialect', async (t) => {
  // Every statement keyword the gateway knows, after every way EXPLAIN begins: only a read passes.
  const prefixes = ['EXPLAIN', 'DESC', 'DESCRIBE', 'EXPLAIN ANALYZE', 'EXPLAIN FORMAT = JSON', "EXPLAIN ANALYZE FORMAT = 'brief'",
    'EXPLAIN EXTENDED', 'EXPLAIN FOR SCHEMA db', 'EXPLAIN ANALYZE FOR DATABASE db', 'EXPLAIN (', 'EXPLAIN ANALYZE ((']
  const reads = new Set(['SELECT', 'TABLE', 'VALUES'])
  const servers = [MARIADB, sqlServer('8.4.0'), sqlServer('8.0.11-TiDB-v8.5.0')]
  const words = [...reads, 'SHOW', 'DESCRIBE', 'EXPLAIN', 'ALTER', 'ANALYZE', 'CALL', 'CREATE', 'DELETE', 'DO', 'DROP', 'HANDLER',
    'IMPORT', 'INSERT', 'LOAD', 'LOCK', 'REPLACE', 'SET', 'TRUNCATE', 'UPDATE', 'ADMIN', 'BATCH', 'SPLIT', 'FLASHBACK', 'TRACE',
    'CALIBRATE', 'REFRESH', 'FOR', 'CONNECTION']
  let checked = 0
  for (const server of servers) {
    for (const prefix of prefixes) {
      for (const word of words) {
        // Enough after the word that it cannot be a table's name (DESC t col).
        const sql = `${prefix} ${word} x y = 1`
        let code = 'ok'
        try {
          classifyOn(sql, true, server)
        } catch (err) {
          code = (err as AppError).code
        }
        t.equal(code, reads.has(word) ? 'ok' : 'read_only_violation', `${server.dialect}: ${sql}`)
        checked++
      }
      t.equal(codeOf(`${prefix} WITH a AS (SELECT 1) SELECT * FROM a`), 'ok', `${prefix} WITH … SELECT`)
      t.equal(codeOf(`${prefix} WITH a AS (SELECT 1) DELETE FROM t`), 'read_only_violation', `${prefix} WITH … DELETE`)
    }
  }
  t.equal(checked, servers.length * prefixes.length * words.length)
})

t.test('text that cannot be read with certainty is a syntax_error in both modes, and nothing is sent', async (t) => {
  for (const sql of ["SELECT 'unterminated", 'SELECT "unterminated', 'SELECT `unterminated', 'SELECT 1 /* unterminated',
    'SELECT 1 /*! unterminated', 'SELECT 1 /*!999999 unterminated', 'SELECT /*! 1 /*! 2 */ */', 'SELECT 1\u0000', 'SELECT 1 \u0001 INTO OUTFILE "/x"',
    "SELECT X'0G'", "SELECT B'102'", 'SELECT @@', 'SELECT 1 \u007f']) {
    t.equal(codeOf(sql, true), 'syntax_error', `read-only: ${JSON.stringify(sql)}`)
    t.equal(codeOf(sql, false), 'syntax_error', `writes allowed: ${JSON.stringify(sql)}`)
  }
})

t.test('a typo is not a write: a first word no statement begins with is a syntax_error naming it, in both modes', async (t) => {
  for (const [sql, word] of [['SELCT * FROM t', 'SELCT'], ['SELEC 1', 'SELEC'], ['  delet FROM t', 'delet'], ['(SELEKT 1)', 'SELEKT'], ["'x'", "'x'"], ['`SELECT` 1', '`SELECT`'], ['1 + 1', '1']]) {
    for (const readOnly of [true, false]) {
      try {
        classify(sql!, readOnly)
        t.fail(`${sql} was admitted`)
      } catch (err) {
        t.equal((err as AppError).code, 'syntax_error', `${sql} (read-only: ${readOnly})`)
        t.equal((err as AppError).statusCode, 400)
        t.match((err as AppError).message, `begin with ${word}`)
      }
    }
  }
})

t.test('a script pasted with DELIMITER says to send its statements without it, before anything else about the text', async (t) => {
  for (const sql of ['DELIMITER $$\nCREATE PROCEDURE p () BEGIN SELECT 1; END$$\nDELIMITER ;', 'delimiter //', '/* script */ DELIMITER ;;']) {
    for (const readOnly of [true, false]) {
      try {
        classify(sql, readOnly)
        t.fail(`${sql} was admitted`)
      } catch (err) {
        t.equal((err as AppError).code, 'syntax_error', `${JSON.stringify(sql)} (read-only: ${readOnly})`)
        t.match((err as AppError).message, /^DELIMITER is a command of the mysql command-line client, not SQL/)
      }
    }
  }
  t.equal(classify('SELECT 1 AS delimiter', true).kind, 'read', 'the word elsewhere is a name')
})

t.test('a statement ended by the mysql client\'s \\G or \\g says to send it without, in both modes', async (t) => {
  for (const [sql, ending] of [['SELECT * FROM t\\G', '\\G'], ['SELECT 1 \\g', '\\g'], ['SELECT 1\\G;', '\\G'], ['UPDATE t SET a = 1\\G', '\\G']]) {
    for (const readOnly of [true, false]) {
      try {
        classify(sql!, readOnly)
        t.fail(`${sql} was admitted`)
      } catch (err) {
        t.equal((err as AppError).code, 'syntax_error', `${JSON.stringify(sql)} (read-only: ${readOnly})`)
        t.equal((err as AppError).message, `${ending} ends a statement in the mysql command-line client, not in SQL the server reads: send the statement without it. Nothing was sent to the database.`)
      }
    }
  }
  t.equal(classify("SELECT '\\\\G' AS g", true).kind, 'read', 'in a string it is text')
})

t.test('USE points at selecting a database, in both modes', async (t) => {
  for (const readOnly of [true, false]) {
    try {
      classify('USE other_db', readOnly)
      t.fail('admitted')
    } catch (err) {
      t.equal((err as AppError).code, 'unsupported_statement')
      t.match((err as AppError).message, /POST \/api\/database\/select/)
    }
  }
})

t.test('stacked statements are refused in both modes', async (t) => {
  for (const sql of ['SELECT 1; DROP TABLE t', 'SELECT 1;SELECT 2', 'SELECT 1; -- x\n SELECT 2', 'SELECT 1 /*!; DROP TABLE t */', 'INSERT INTO t VALUES (1); DELETE FROM t']) {
    t.equal(codeOf(sql, true), 'multiple_statements', `read-only: ${sql}`)
    t.equal(codeOf(sql, false), 'multiple_statements', `write mode: ${sql}`)
  }
})

t.test('a stored program\'s body is part of its CREATE statement: its semicolons do not stack statements', async (t) => {
  const programs = [
    'CREATE PROCEDURE p () BEGIN SELECT 1; SELECT 2; END',
    'CREATE PROCEDURE p () BEGIN SELECT 1; END;',
    'create or replace definer = \'app\'@\'%\' procedure p () begin insert into t values (1); select row_count(); end',
    'CREATE DEFINER=CURRENT_USER() FUNCTION f (n INT) RETURNS INT DETERMINISTIC BEGIN DECLARE x INT; SET x = n * 2; RETURN x; END',
    'CREATE DEFINER = app@localhost TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.v = UPPER(NEW.v); SET NEW.n = LAST_INSERT_ID(); END',
    'CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; GET DIAGNOSTICS @n = ROW_COUNT; END',
    'ALTER EVENT e DO BEGIN DELETE FROM t; DELETE FROM u; END',
    'CREATE AGGREGATE FUNCTION agg (x INT) RETURNS INT BEGIN DECLARE s INT DEFAULT 0; DECLARE CONTINUE HANDLER FOR NOT FOUND RETURN s; LOOP FETCH GROUP NEXT ROW; SET s = s + x; END LOOP; END'
  ]
  for (const sql of programs) {
    t.strictSame(classify(sql, false).kind, 'write', `write mode: ${sql}`)
    t.equal(codeOf(sql, true), 'read_only_violation', `read-only: ${sql}`)
  }
  // Anything else with a semicolon inside stays stacked, whatever it names.
  for (const sql of ['CREATE TABLE event (a INT); DROP TABLE t', 'CREATE TABLE t (a INT); CREATE PROCEDURE p () SELECT 1', 'DROP PROCEDURE p; DROP TABLE t', 'BEGIN NOT ATOMIC SELECT 1; END']) {
    t.not(codeOf(sql, false), 'ok', `write mode: ${sql}`)
  }
})

t.test('diagnostics of the pooled connection\'s previous statement (perhaps another session\'s) are refused in both modes', async (t) => {
  for (const sql of ['SHOW WARNINGS', 'show errors', 'SHOW WARNINGS LIMIT 5', 'SHOW COUNT(*) WARNINGS', 'SHOW COUNT( * ) ERRORS', '/*!SHOW*/ WARNINGS', 'GET DIAGNOSTICS @n = NUMBER', 'GET CURRENT DIAGNOSTICS CONDITION 1 @m = MESSAGE_TEXT', 'GET STACKED DIAGNOSTICS @n = NUMBER']) {
    unsupportedInBothModes(t, sql)
  }
  for (const sql of ['SHOW TABLES', 'SHOW VARIABLES LIKE "warning%"', 'SHOW GLOBAL STATUS', 'SELECT `warnings` FROM t']) t.equal(codeOf(sql), 'ok', sql)
})

t.test('the pooled connection\'s session counters (every session\'s statements on it) are refused in both modes; the server\'s are not', async (t) => {
  for (const sql of ['SHOW STATUS', 'show session status', "SHOW LOCAL STATUS LIKE 'Rows_sent'", "SHOW /*!SESSION*/ STATUS WHERE Variable_name = 'Last_query_cost'",
    'SELECT * FROM information_schema.SESSION_STATUS', 'SELECT variable_value FROM `INFORMATION_SCHEMA` . `session_status`', 'TABLE information_schema.session_status']) {
    unsupportedInBothModes(t, sql)
  }
  for (const sql of ['SHOW GLOBAL STATUS', "SHOW GLOBAL STATUS LIKE 'Uptime'", 'SELECT * FROM information_schema.GLOBAL_STATUS', 'SHOW SESSION VARIABLES', 'SELECT status FROM session_status']) {
    t.equal(codeOf(sql), 'ok', sql)
  }
})

t.test('what the previous statement of the connection left (FOUND_ROWS(), ...) is refused in both modes: it is not this session\'s', async (t) => {
  for (const sql of ['SELECT FOUND_ROWS()', 'select found_rows ( )', 'SELECT ROW_COUNT()', 'SELECT LAST_INSERT_ID()', 'SELECT @@warning_count', 'SELECT @@SESSION.error_count', 'SELECT @@identity', 'SELECT @@last_insert_id', 'SELECT 1 FROM t WHERE n = FOUND_ROWS()',
    'SELECT @@last_gtid', 'SELECT @@tidb_last_query_info', 'SELECT @@session.tidb_last_txn_info', 'SELECT @@TIDB_LAST_DDL_INFO', 'SELECT @@tidb_last_plan_replayer_token',
    'SELECT @@last_plan_from_cache', 'SELECT @@last_plan_from_binding', 'SELECT @@last_sql_use_alloc',
    'SELECT WSREP_LAST_WRITTEN_GTID()', 'SELECT wsrep_last_seen_gtid ()',
    'SELECT LASTVAL(s)', 'SELECT lastval (db.s)', 'SELECT PREVIOUS VALUE FOR s', 'select previous  value for db.s']) {
    unsupportedInBothModes(t, sql)
  }
  t.equal(codeOf('INSERT INTO child (parent) VALUES (LASTVAL(s))', false), 'unsupported_statement', 'the last value a sequence gave the connection, in a write too')
  t.equal(codeOf('INSERT INTO child (parent) VALUES (PREVIOUS VALUE FOR s)', false), 'unsupported_statement')
  t.equal(codeOf('INSERT INTO child (parent) VALUES (LAST_INSERT_ID())', false), 'unsupported_statement', 'in a write too')
  t.equal(codeOf('SELECT LAST_INSERT_ID(5)', true), 'read_only_violation', 'with an argument it sets state: refused in reads')
  t.equal(codeOf('UPDATE t SET id = LAST_INSERT_ID(id + 1)', false), 'ok', 'and allowed in writes')
  for (const sql of ['SELECT `found_rows` FROM t', "SELECT 'FOUND_ROWS()'", 'SELECT row_count FROM stats', 'SELECT @warning_count',
    'SELECT lastval FROM t', 'SELECT previous AS value FROM t', 'SELECT `previous` value FROM t']) t.equal(codeOf(sql), 'ok', sql)
})

t.test('what shows the statements other connections run is refused in both modes: those connections serve other sessions', async (t) => {
  for (const sql of ['SHOW PROCESSLIST', 'show full processlist', 'SHOW /*!FULL*/ PROCESSLIST', 'SHOW EXPLAIN FOR 12', 'SHOW EXPLAIN FORMAT=JSON FOR 12', 'SHOW ANALYZE FOR 12',
    'EXPLAIN FOR CONNECTION 12', 'EXPLAIN FORMAT=TREE FOR CONNECTION 12', 'SHOW ENGINE INNODB STATUS', 'ADMIN SHOW DDL JOB QUERIES 1',
    'SELECT info FROM information_schema.PROCESSLIST', 'SELECT * FROM `information_schema`.`processlist`', 'SELECT * FROM INFORMATION_SCHEMA . processlist',
    'SELECT * FROM information_schema/*x*/./*y*/processlist', 'SELECT * FROM /*!information_schema*/.processlist', 'SELECT * FROM ınformation_schema.processlist',
    'TABLE information_schema.processlist', 'SELECT (SELECT MAX(info) FROM information_schema.processlist)', 'WITH p AS (SELECT info FROM information_schema.processlist) SELECT * FROM p',
    'SELECT 1 UNION SELECT info FROM information_schema.processlist', 'DESCRIBE information_schema.processlist', 'SELECT information_schema.processlist.info FROM information_schema.processlist',
    'SELECT * FROM performance_schema.events_statements_current', 'SELECT * FROM Performance_Schema.threads', 'SELECT * FROM sys.processlist', 'SELECT * FROM sys.`x$session`',
    'SELECT argument FROM mysql.general_log', 'SELECT sql_text FROM mysql.slow_log', 'SELECT * FROM mysql.tidb_mdl_view', 'SELECT * FROM information_schema.CLUSTER_PROCESSLIST',
    'SELECT query FROM information_schema.slow_query', 'SELECT * FROM information_schema.INNODB_TRX', 'SELECT * FROM information_schema.statements_summary_history', 'SELECT * FROM information_schema.cluster_log', 'SELECT lock_data FROM information_schema.INNODB_LOCKS', 'SELECT query FROM information_schema.optimizer_trace',
    'SHOW BINLOG EVENTS', "SHOW BINLOG EVENTS IN 'mysql-bin.000001' LIMIT 5", 'show relaylog events', "SHOW RELAYLOG 'primary' EVENTS", 'SHOW PROFILES', 'SHOW PROFILE ALL FOR QUERY 1',
    'ADMIN SHOW DDL', 'admin show ddl', 'ADMIN SHOW SLOW RECENT 10', 'admin show slow top all 5', 'SELECT query FROM information_schema.ddl_jobs', 'SELECT sql_text FROM information_schema.MEMORY_USAGE_OPS_HISTORY',
    'SELECT watch_text FROM information_schema.runaway_watches', 'SELECT * FROM information_schema.cluster_memory_usage_ops_history', 'SELECT * FROM sys.innodb_lock_waits',
    'SELECT * FROM sys.`x$innodb_lock_waits`', 'SELECT job_meta FROM mysql.tidb_ddl_job', 'SELECT job_meta FROM mysql.tidb_ddl_history', 'SELECT original_sql FROM mysql.tidb_runaway_queries',
    'SELECT watch_text FROM mysql.tidb_runaway_watch', 'SELECT * FROM mysql.tidb_runaway_watch_done']) {
    unsupportedInBothModes(t, sql)
  }
  t.equal(codeOf('CREATE VIEW v AS SELECT info FROM information_schema.processlist', false), 'unsupported_statement', 'nor kept in a view')
  t.equal(codeOf('CREATE PROCEDURE p() SELECT info FROM information_schema.processlist', false), 'unsupported_statement', 'nor in a stored program')
  for (const sql of ['SELECT table_name FROM information_schema.tables', 'SELECT * FROM information_schema.columns', 'SELECT processlist FROM t', 'SELECT * FROM processlist',
    "SELECT 'information_schema.processlist'", 'SHOW TABLES', 'SHOW FULL TABLES', 'SHOW GLOBAL STATUS', 'SELECT s.id FROM systems s', 'SELECT p.info FROM t AS p', 'SELECT * FROM mysql.time_zone_name',
    'SHOW MASTER STATUS', 'SHOW BINARY LOGS', 'SELECT * FROM ddl_jobs']) {
    t.equal(codeOf(sql), 'ok', sql)
  }
})

t.test('SQL the server would run from a string is refused in both modes: the sys schema, mysql\'s routines, dynamic SQL in a stored program', async (t) => {
  for (const sql of ["CALL sys.execute_prepared_stmt('SELECT info FROM information_schema.processlist')", "call `SYS`.`execute_prepared_stmt`('SELECT 1')",
    "CALL /*!sys*/ . table_exists('db', 't', @x)", 'SELECT sys.ps_thread_trx_info(12)', 'SELECT sys . ps_thread_stack (12, FALSE)', 'SELECT * FROM sys.statement_analysis',
    'SELECT * FROM sYs.`x$ps_digest_95th_percentile_by_avg_us`', 'SELECT sys.format_bytes(1024)', "CALL sys.ps_setup_enable_consumer('events_statements_history_long')",
    'SELECT sys.id FROM systems sys', "CALL mysql.AddGeometryColumn('', 'db', 't', 'g', 0)", "call `mysql` . DropGeometryColumn('', 'db', 't', 'g')"]) {
    unsupportedInBothModes(t, sql)
  }
  for (const sql of ['CREATE PROCEDURE p (s TEXT) BEGIN PREPARE x FROM s; EXECUTE x; END', 'CREATE PROCEDURE p (s TEXT) EXECUTE IMMEDIATE s',
    "CREATE DEFINER = CURRENT_USER PROCEDURE p () BEGIN SET @s = 'SELECT 1'; PREPARE `x` FROM @s; EXECUTE x; END",
    "CREATE EVENT e ON SCHEDULE EVERY 1 HOUR DO EXECUTE IMMEDIATE 'SELECT 1'", "ALTER EVENT e DO EXECUTE IMMEDIATE CONCAT('SELECT ', 1)",
    "CREATE PROCEDURE p () /*!EXECUTE IMMEDIATE 'SELECT 1'*/", 'CREATE OR REPLACE PROCEDURE p () CALL mysql.AddGeometryColumn(\'\', \'db\', \'t\', \'g\', 0)']) {
    t.equal(codeOf(sql, false), 'unsupported_statement', sql)
  }
  for (const sql of ['SELECT prepare x FROM (SELECT 1 AS prepare) d', "SELECT 'sys.execute_prepared_stmt'", 'SELECT * FROM mysql.time_zone_name', 'SELECT s.id FROM systems s',
    'SELECT sys FROM t', 'SELECT * FROM sys_tables']) {
    t.equal(codeOf(sql), 'ok', sql)
  }
  for (const sql of ['CREATE PROCEDURE p () SELECT prepare AS x FROM t', 'CREATE PROCEDURE p () CALL other.run()', 'INSERT INTO mysql.time_zone_name (Name) VALUES (\'x\')']) {
    t.equal(codeOf(sql, false), 'ok', sql)
  }
})

t.test('optimizer hints that would lift the gateway\'s limits are refused in both modes; other hints pass', async (t) => {
  // MySQL and TiDB (and MariaDB 12) obey them over the session's max_execution_time and
  // sql_select_limit; TiDB's MEMORY_QUOTA and RESOURCE_GROUP lift its own limits on the statement.
  for (const sql of [
    'SELECT /*+ MAX_EXECUTION_TIME(3600000) */ * FROM t',
    'select /*+ max_execution_time (3600000) */ 1',
    'SELECT /*+ SET_VAR(max_execution_time = 0) */ 1',
    'SELECT /*+ NO_INDEX(t) SET_VAR(sql_select_limit = 18446744073709551615) */ * FROM t',
    'SELECT /*+ MEMORY_QUOTA(8 GB) */ * FROM t',
    'SELECT /*+ RESOURCE_GROUP(rg_unlimited) */ * FROM t',
    'INSERT /*+ SET_VAR(foreign_key_checks = OFF) */ INTO t VALUES (1)',
    'WITH a AS (SELECT /*+ MAX_EXECUTION_TIME(0) */ 1) SELECT * FROM a'
  ]) {
    unsupportedInBothModes(t, sql)
  }
  for (const sql of ['SELECT /*+ NO_INDEX(t) */ * FROM t', 'SELECT /*+ BKA(t) JOIN_ORDER(a, b) */ 1', "SELECT '/*+ MAX_EXECUTION_TIME(0) */'", 'SELECT `MAX_EXECUTION_TIME` FROM t', 'SELECT 1 /* MAX_EXECUTION_TIME(0) is not a hint here */']) {
    t.equal(codeOf(sql), 'ok', sql)
  }
})

t.test('with writes allowed, what reads or writes the database server\'s files, stops it or loads code into it is still refused', async (t) => {
  for (const sql of [
    "SELECT * FROM t INTO OUTFILE '/tmp/x'",
    "SELECT * INTO DUMPFILE '/tmp/x' FROM t",
    "select load_file('/etc/passwd')",
    "INSERT INTO t SELECT LOAD_FILE('/etc/passwd')",
    "LOAD DATA INFILE '/etc/passwd' INTO TABLE t",
    "LOAD DATA LOCAL INFILE '/etc/passwd' INTO TABLE t",
    "LOAD XML INFILE '/tmp/x.xml' INTO TABLE t",
    "CREATE PROCEDURE p () BEGIN SELECT LOAD_FILE('/etc/passwd'); END",
    "SELECT 1 /*! INTO OUTFILE '/tmp/x' */",
    'SHUTDOWN', 'shutdown wait for all replicas', 'RESTART', "INSTALL PLUGIN sphinx SONAME 'ha_sphinx'", "INSTALL SONAME 'ha_connect'",
    'UNINSTALL PLUGIN audit_log', "CREATE FUNCTION sys_exec RETURNS INTEGER SONAME 'lib_mysqludf_sys.so'", "BINLOG 'base64'",
    "CREATE TABLE t (a INT) ENGINE=MyISAM DATA DIRECTORY = '/var/www'", "CREATE TABLE t (a INT) INDEX DIRECTORY '/tmp' ENGINE=Aria",
    "ALTER TABLE t PARTITION BY HASH (a) (PARTITION p0 DATA DIRECTORY = '/tmp')", "CREATE TABLE t (a INT) ENGINE=CONNECT TABLE_TYPE=DOS FILE_NAME='/etc/passwd'",
    "CREATE TABLE t (a INT) ENGINE = 'connect'", "CREATE TABLE t (a INT) ENGINE `Federated` CONNECTION='mysql://root@127.0.0.1/information_schema/PROCESSLIST'",
    'ALTER TABLE t ENGINE=SPIDER', "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (HOST '127.0.0.1')", "ALTER SERVER s OPTIONS (USER 'root')", 'DROP SERVER s',
    // TiDB's and MySQL's own
    "LOAD STATS '/tmp/stats.json'", "IMPORT INTO t FROM '/tmp/t.csv'", "IMPORT TABLE FROM '/tmp/t.sdi'", "BACKUP DATABASE * TO 'local:///tmp/backup'",
    "BACKUP TABLE db.t TO 'local:///tmp/backup'", "RESTORE DATABASE * FROM 'local:///tmp/backup'", 'PLAN REPLAYER DUMP EXPLAIN SELECT 1', "PLAN REPLAYER LOAD '/tmp/x.zip'",
    "CREATE TABLESPACE ts ADD DATAFILE '/tmp/ts.ibd'", "CLONE LOCAL DATA DIRECTORY = '/tmp/clone'", "CLONE INSTANCE FROM 'u'@'h':3306 IDENTIFIED BY 'p'",
    'ALTER INSTANCE DISABLE INNODB REDO_LOG', "FLASHBACK CLUSTER TO TIMESTAMP '2026-01-01 00:00:00'",
    "QUERY WATCH ADD ACTION KILL SQL TEXT EXACT TO 'SELECT * FROM orders'", 'ADMIN PLUGINS ENABLE audit', 'ADMIN CANCEL DDL JOBS 12', 'ADMIN PAUSE DDL JOBS 12',
    'ADMIN RESUME DDL JOBS 12', 'CANCEL IMPORT JOB 3',
    "CHANGE MASTER TO MASTER_HOST = 'elsewhere.example'", "CHANGE REPLICATION SOURCE TO SOURCE_HOST = 'elsewhere.example'", 'STOP SLAVE', 'STOP REPLICA',
    "PURGE BINARY LOGS TO 'mysql-bin.000010'", 'RESET MASTER', 'FLUSH PRIVILEGES', 'FLUSH TABLES WITH READ LOCK', 'GRANT ALL ON *.* TO u',
    'REVOKE SELECT ON db.* FROM u', "CREATE USER 'back'@'%' IDENTIFIED BY 'door'", "ALTER USER root IDENTIFIED BY 'x'", 'DROP USER u', 'RENAME USER a TO b',
    'CREATE ROLE r', 'DROP ROLE r', 'CREATE RESOURCE GROUP rg RU_PER_SEC = 1', 'CREATE GLOBAL BINDING FOR SELECT 1 USING SELECT 1', 'DROP GLOBAL BINDING FOR SELECT 1'
  ]) t.equal(codeOf(sql, false), 'unsupported_statement', sql)
  for (const sql of ["SELECT 'INTO OUTFILE' AS s", 'SELECT `load_file` FROM t', 'INSERT INTO `outfile` VALUES (1)', 'INSERT INTO dumpfile_log VALUES (1)', 'SELECT a INTO @a FROM t',
    "SELECT table_name FROM information_schema.tables WHERE engine = 'CONNECT'", 'CREATE TABLE t (a INT) ENGINE=InnoDB', 'CREATE TABLE servers (data TEXT, directory TEXT, engine TEXT)',
    'ALTER TABLE t ADD data INT', 'FLASHBACK TABLE t', 'BACKUP STAGE START', 'SELECT * FROM plan', 'INSERT INTO backup SELECT * FROM t',
    'ADMIN CHECK TABLE t', 'ADMIN SHOW DDL JOBS', 'SELECT * FROM query', 'CREATE TABLE users (id INT)', 'INSERT INTO grants VALUES (1)', 'ALTER TABLE flush ADD x INT',
    'CREATE SESSION BINDING FOR SELECT 1 USING SELECT 1']) t.equal(codeOf(sql, false), 'ok', sql)
})

t.test('write mode: a stored program\'s body is held to the rules of a request\'s statement, wherever a statement stands in it', async (t) => {
  for (const sql of [
    'CREATE PROCEDURE p () BEGIN DECLARE CONTINUE HANDLER FOR SQLEXCEPTION KILL 5; DO 1; END',
    'CREATE PROCEDURE p () BEGIN SET @a = 1, GLOBAL max_connections = 9; END',
    'CREATE PROCEDURE p () SET @@GLOBAL . max_connections := 9',
    'CREATE PROCEDURE p () SET PERSIST max_connections = 9',
    "CREATE PROCEDURE p () SET PASSWORD FOR root = PASSWORD('x')",
    'CREATE PROCEDURE p () SET DEFAULT ROLE admin FOR u',
    'CREATE PROCEDURE p () l: LOOP SHOW FULL PROCESSLIST; END LOOP l',
    'CREATE PROCEDURE p () SELECT FOUND_ROWS()',
    'CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW FOLLOWS other CREATE USER u',
    'CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO IF 1 THEN GRANT ALL ON *.* TO u; END IF',
    'CREATE FUNCTION f () RETURNS INT DETERMINISTIC BEGIN FLUSH TABLES; RETURN 1; END',
    "CREATE PROCEDURE p () BEGIN XA START 'x'; INSERT INTO t VALUES (1); XA END 'x'; XA PREPARE 'x'; END",
    "CREATE PROCEDURE p () IF 1 THEN xa  begin 'x'; END IF", "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DO 1; XA COMMIT 'x'; END",
    'CHANGE PUMP TO NODE_STATE = "paused" FOR NODE_ID "p"'
  ]) t.equal(codeOf(sql, false), 'unsupported_statement', sql)
  for (const sql of [
    'CREATE PROCEDURE p () BEGIN DECLARE done INT; ALTER TABLE t CHANGE a b INT; UPDATE t SET b = 1; SELECT ROW_COUNT(), @@warning_count; END',
    'CREATE PROCEDURE p () BEGIN SHOW GLOBAL STATUS; SELECT @@global.max_connections; SET @a = 1; END',
    'CREATE PROCEDURE p () BEGIN DECLARE m TEXT; DECLARE EXIT HANDLER FOR SQLEXCEPTION GET DIAGNOSTICS CONDITION 1 m = MESSAGE_TEXT; DO 1; END',
    'CREATE PROCEDURE p (`stop` INT) SELECT `stop`', 'ALTER TABLE t CHANGE a b INT',
    'CREATE PROCEDURE p () BEGIN DECLARE xa INT DEFAULT 1; SET xa = 2; SELECT xa, `xa` FROM t; START TRANSACTION; COMMIT; END'
  ]) t.equal(codeOf(sql, false), 'ok', sql)
})

t.test('write mode: the statement a wrapper runs is judged as a request\'s own (TiDB\'s TRACE runs SET and transactions)', async (t) => {
  for (const sql of [
    "TRACE SET GLOBAL tidb_gc_life_time = '1s'", "TRACE FORMAT = 'row' SET @@global.tidb_mem_quota_query = 1", "TRACE PLAN TARGET = 'estimation' SET PASSWORD = 'x'",
    'TRACE BEGIN', "TRACE FORMAT='json' COMMIT", 'EXPLAIN ANALYZE FORMAT = "brief" SET GLOBAL x = 1', 'BATCH ON t.id LIMIT 10 DRY RUN QUERY KILL 1',
    "TRACE LOAD DATA INFILE '/etc/passwd' INTO TABLE t", 'ANALYZE FORMAT = JSON FLUSH TABLES'
  ]) t.equal(codeOf(sql, false), 'unsupported_statement', sql)
  for (const sql of ['TRACE INSERT INTO t VALUES (1)', "TRACE FORMAT = 'row' SELECT * FROM t", 'EXPLAIN ANALYZE UPDATE t SET a = 1', 'BATCH ON id LIMIT 10 DELETE FROM t',
    'ANALYZE TABLE t', 'EXPLAIN t', 'DESC t a', 'ANALYZE SELECT 1']) t.equal(codeOf(sql, false), 'ok', sql)
})

t.test('empty statements', async (t) => {
  for (const sql of [';', '-- only a comment', '/* nothing */', ' ; ; ', '/*T![clustered_index] DROP TABLE t */', '/*!99999 DROP TABLE t */']) t.equal(codeOf(sql), 'empty_query', JSON.stringify(sql))
})

t.test('write mode: writes run; session statements do not; reads stay reads', async (t) => {
  for (const sql of ['INSERT INTO t VALUES (1)', 'UPDATE t SET a = 1', 'DELETE FROM t', 'CREATE TABLE x (a INT)', 'DROP TABLE x', 'CALL p()']) {
    t.strictSame(classify(sql, false).kind, 'write', sql)
  }
  for (const sql of ['USE other', 'SET @a = 1', 'SET SESSION sql_mode = ""', 'START TRANSACTION', 'BEGIN', 'COMMIT', 'LOCK TABLES t READ', 'PREPARE s FROM "SELECT 1"', 'KILL 5']) {
    t.equal(codeOf(sql, false), 'unsupported_statement', sql)
  }
  t.match(classify('SELECT 1', false), { kind: 'read', keyword: 'SELECT' })
  t.strictSame(classify('SELECT * FROM t FOR UPDATE', false).kind, 'write', 'a locking read is treated as a write')
  t.match(classify('SHOW TABLES', true), { kind: 'read', keyword: 'SHOW' })
})

t.test('the refusal names what was refused', async (t) => {
  try {
    classify('DELETE FROM t', true)
  } catch (err) {
    t.equal((err as AppError).statusCode, 403)
    t.match((err as AppError).message, /read-only: DELETE statements are refused/)
  }
})

t.test('a read that draws from the connection\'s random generator (an unseeded RAND()) has its connection reset around it', async (t) => {
  for (const sql of ['SELECT RAND()', 'SELECT id FROM t ORDER BY RAND() LIMIT 1', 'select rand ( )', 'SELECT `RAND`(/* x */)', 'SELECT (SELECT RAND()) AS r', 'SELECT FLOOR(RAND() * 10) AS d']) {
    t.equal(classify(sql, true).resetsConnection, true, sql)
  }
  for (const sql of ['SELECT RAND(7)', 'SELECT RAND(id) FROM t', 'SELECT rand FROM t', 'SELECT 1 AS `RAND`', "SELECT 'RAND()'", 'SELECT NOW()']) {
    t.equal(classify(sql, true).resetsConnection, false, sql)
  }
  t.equal(codeOf('CREATE VIEW v AS SELECT RAND() AS r', false), 'unsupported_statement', 'nor does a view draw from it unseen')
  t.equal(codeOf('CREATE VIEW v AS SELECT RAND(7) AS r', false), 'ok', 'RAND(n) has a generator of its own')
})
