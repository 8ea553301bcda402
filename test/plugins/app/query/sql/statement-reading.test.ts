import t from 'tap'
import { lex, TokenizeError, type Token } from '../../../../../plugins/app/query/sql/lexer.js'
import { rebuild } from '../../../../../plugins/app/query/sql/rebuild.js'
import { sqlServer, type SqlServer } from '../../../../../plugins/app/query/sql/server.js'
import { seededRandom } from '../../../../fixtures/seeded-random.js'

const MARIADB_10_11 = sqlServer('10.11.19-MariaDB-0+deb12u1')
const MARIADB_10_5 = sqlServer('10.5.0-MariaDB')
const MARIADB_12 = sqlServer('12.0.2-MariaDB')
const MYSQL_8 = sqlServer('8.0.36')
const MYSQL_5_7 = sqlServer('5.7.44-log')
const TIDB = sqlServer('8.0.11-TiDB-v8.5.0')

/** What the server receives for `sql` on `server`. */
const sent = (sql: string, server: SqlServer): string => rebuild(lex(sql, server))

t.test('versions are read as the servers compare them', async (t) => {
  t.strictSame(MARIADB_10_11, { dialect: 'mariadb', version: 101119 })
  t.strictSame(MYSQL_8, { dialect: 'mysql', version: 80036 })
  t.strictSame(TIDB, { dialect: 'tidb', version: 80011 })
  t.strictSame(sqlServer('5.5.5-10.6.12-MariaDB'), { dialect: 'mariadb', version: 100612 })
})

t.test('executable comments are unwrapped or dropped as each server, at each version, reads them', async (t) => {
  const code = 'SELECT a , b FROM t'
  const comment = 'SELECT a FROM t'
  const cases: Array<[SqlServer, string, string]> = [
    [MARIADB_10_11, '/*! , b */', code],
    [MARIADB_10_11, '/*!50000 , b */', code],
    [MARIADB_10_11, '/*!50700 , b */', comment], // MySQL 5.7+'s range: MariaDB skips it
    [MARIADB_10_11, '/*!99999 , b */', comment],
    [MARIADB_10_11, '/*!100000 , b */', code],
    [MARIADB_10_11, '/*!101119 , b */', code],
    [MARIADB_10_11, '/*!101120 , b */', comment],
    [MARIADB_10_11, '/*!999999 , b */', comment],
    [MARIADB_10_11, '/*M! , b */', code],
    [MARIADB_10_11, '/*M!50700 , b */', code],
    [MARIADB_10_11, '/*M!999999 , b */', comment],
    [MARIADB_10_11, '/*T! , b */', comment],
    [MARIADB_10_11, '/*T![clustered_index] , b */', comment],
    [MARIADB_10_11, '/*!99999 , b /* nested */ , c */', comment], // a skipped comment holds one level of comment
    [MARIADB_10_5, '/*!100600 , b */', comment],
    [MARIADB_10_5, '/*M!100500 , b */', code],
    [MYSQL_8, '/*! , b */', code],
    [MYSQL_8, '/*!50700 , b */', code],
    [MYSQL_8, '/*!80036 , b */', code],
    [MYSQL_8, '/*!80037 , b */', comment],
    [MYSQL_8, '/*M! , b */', comment],
    [MYSQL_8, '/*M!50000 , b */', comment],
    [MYSQL_8, '/*T! , b */', comment],
    [MYSQL_5_7, '/*!80000 , b */', comment],
    [MYSQL_5_7, '/*!50744 , b */', code],
    [TIDB, '/*! , b */', code],
    [TIDB, '/*!99999 , b */', code], // TiDB runs them whatever the version
    [TIDB, '/*T! , b */', code],
    [TIDB, '/*T![clustered_index] , b */', code],
    [TIDB, '/*T![auto_rand,ttl] , b */', code],
    [TIDB, '/*T![resource_group] , b */', comment],
    [TIDB, '/*T![no_such_feature] , b */', comment],
    [TIDB, '/*M! , b */', comment]
  ]
  for (const [server, text, expected] of cases) {
    t.equal(sent(`SELECT a ${text} FROM t`, server), expected, `${server.dialect} ${server.version}: ${text}`)
  }
  t.equal(sent('SELECT 1 /*!1 + 1 */', MARIADB_10_11), 'SELECT 1 1 + 1', 'fewer than five digits are code')
  t.equal(sent('SELECT 1 /*!800361 + 1 */', MYSQL_8), 'SELECT 1 1 + 1', 'MySQL reads five digits; a sixth is code')
})

t.test('line comments end where the server ends them, per dialect', async (t) => {
  t.equal(sent('SELECT 1 -- x\r, 2\n, 3', MARIADB_10_11), 'SELECT 1\n, 3', '-- runs past \\r to \\n')
  t.equal(sent('SELECT 1 # x\r, 2\n, 3', MYSQL_8), 'SELECT 1\n, 3', '# runs past \\r to \\n')
  t.equal(sent('SELECT 1 --\x7f, 2\n, 3', MARIADB_10_11), 'SELECT 1\n, 3', 'MariaDB: -- and DEL start a comment')
  t.throws(() => lex('SELECT 1 --\x7f, 2', MYSQL_8), TokenizeError, 'MySQL: two minus signs, then a control character')
  t.equal(sent('SELECT 1 --\t, 2\n, 3', TIDB), 'SELECT 1\n, 3')
  t.equal(sent('SELECT 1--1', MARIADB_10_11), 'SELECT 1 - - 1', 'not a comment: two minus signs, sent apart')
  t.equal(sent('SELECT 1 --', MARIADB_10_11), 'SELECT 1', '-- at the end')
})

t.test('literals, names and variables are sent in one spelling', async (t) => {
  const cases: Array<[string, string]> = [
    ["SELECT 'it''s', 'it\\'s', \"it's\", \"a\"\"b\"", "SELECT 'it''s', 'it''s', 'it''s', 'a\"b'"],
    ["SELECT 'a\\\\b', 'a\\%', 'a\\_', 'a\\qb', 'x\\0y'", "SELECT 'a\\\\b', 'a\\\\%', 'a\\\\_', 'aqb', 'x\\0y'"],
    ["SELECT 'line\nbreak'", "SELECT 'line\nbreak'"],
    ['SELECT `a``b`, `select`, ☃, 1abc, t.1e5 FROM `t`', 'SELECT `a``b`, `select`, `☃`, `1abc`, t.`1e5` FROM `t`'],
    ["SELECT N'n', n'm', X'4a', x'', B'101', 0x4A, 0b1, _latin1'l', _utf8mb4 'u'", "SELECT N'n', N'm', X'4a', X'', B'101', 0x4A, 0b1, _latin1 'l', _utf8mb4 'u'"],
    ['SELECT 1e5, 1.5e-3, .5, 1., 1e5x, \\N', 'SELECT 1e5, 1.5e-3, .5, 1., 1e5 x, NULL'],
    ["SELECT @a, @'b c', @\"d\", @`e`, @f.g, @@sql_mode, @@SESSION.sql_mode, @@`warning_count`, @@global . x", 'SELECT @`a`, @`b c`, @`d`, @`e`, @`f.g`, @@`sql_mode`, @@session.`sql_mode`, @@`warning_count`, @@global.`x`'],
    ["CREATE USER 'u'@'%', v@localhost", "CREATE USER 'u'@`%`, v@`localhost`"],
    ['SELECT a<=>b, a:=b, a->>"$.c", a!=b, a<>b, a||b, a&&b', "SELECT a <=> b, a := b, a ->> '$.c', a != b, a <> b, a || b, a && b"],
    ['SELECT COUNT(*), t.*, f (1) FROM t', 'SELECT COUNT(*), t.*, f (1) FROM t'],
    ['SELECT 1,\n\n2 /* a\ncomment */ , 3', 'SELECT 1,\n\n2\n, 3']
  ]
  for (const [sql, expected] of cases) t.equal(sent(sql, MARIADB_10_11), expected, sql)
})

t.test('a decimal whose exponent marker has no digits is refused on every dialect, never read as a number and a name', async (t) => {
  for (const server of [MARIADB_10_11, MYSQL_8, TIDB]) {
    for (const sql of ['SELECT 1.5e', 'SELECT .5Ex', 'SELECT 1.e+', 'SELECT 1.5e-x', 'SELECT 1.5e+(2)']) {
      t.throws(() => lex(sql, server), { name: 'TokenizeError', message: /exponent has no digits/ }, `${server.dialect}: ${sql}`)
    }
    t.equal(sent('SELECT 1.5e2x, 1.e1, 1e, 1ex, 12.34abc', server), 'SELECT 1.5e2 x, 1.e1, `1e`, `1ex`, 12.34 abc', `${server.dialect}: with digits, or without a point`)
  }
})

t.test('an integer followed by .. ends there, as MariaDB reads a FOR loop\'s range (1..10), not as 1. and .10', async (t) => {
  t.equal(sent('FOR i IN 1..10 DO SELECT i; END FOR', MARIADB_10_11), 'FOR i IN 1 .. 10 DO SELECT i ; END FOR')
  t.equal(sent('SELECT 1.5..2, 1.25, .5', MARIADB_10_11), 'SELECT 1.5 .. 2, 1.25, .5')
})

t.test('a ? directly followed by a name character is no placeholder to MariaDB and MySQL, and is refused; TiDB reads one', async (t) => {
  for (const server of [MARIADB_10_11, MYSQL_8]) {
    for (const sql of ['SELECT ?a', 'SELECT ?1', 'SELECT ?_', 'SELECT ?$', 'SELECT ?ü', 'SELECT 1 FROM t WHERE a = ?b']) {
      t.throws(() => lex(sql, server), { name: 'TokenizeError', message: /not read as a placeholder/ }, `${server.dialect}: ${sql}`)
    }
  }
  for (const server of [MARIADB_10_11, MYSQL_8, TIDB]) {
    t.equal(sent('SELECT ?`a`, ? b, ?+?, (?), ?/*!c*/', server), 'SELECT ? `a`, ? b, ? + ?, (?), ? c', `${server.dialect}: a placeholder`)
  }
  t.equal(sent('SELECT ?a', TIDB), 'SELECT ? a')
})

t.test('hints are sent where the server reads them, in one spelling, and dropped where it does not', async (t) => {
  const sql = 'SELECT /*+   NO_INDEX(t  idx) BKA(t) */ * FROM t'
  t.equal(sent(sql, MYSQL_8), 'SELECT /*+ NO_INDEX(t idx) BKA(t) */ * FROM t')
  t.equal(sent(sql, TIDB), 'SELECT /*+ NO_INDEX(t idx) BKA(t) */ * FROM t')
  t.equal(sent(sql, MARIADB_12), 'SELECT /*+ NO_INDEX(t idx) BKA(t) */ * FROM t')
  t.equal(sent(sql, MARIADB_10_11), 'SELECT * FROM t', 'MariaDB before 12 reads hints as comments')
  t.equal(sent('SELECT * /*+ BKA(t) */ FROM t', MYSQL_8), 'SELECT * FROM t', 'not after the statement keyword: a comment')
  for (const hint of ["NO_INDEX('t')", 'BKA(t) DELETE(t)', 'BKA(`a*/b`)', 'BKA(t', 'NO_SUCH_HINT(t)', 'MAX_EXECUTION_TIME(1)']) {
    t.throws(() => lex(`SELECT /*+ ${hint} */ 1`, MYSQL_8), { code: 'unsupported_statement' }, hint)
  }
})

/** Fragments a statement is made of in the property test: tokens, comment markers, quotes and the characters lexers disagree on. */
const FRAGMENTS = [
  'SELECT', 'select', 'INTO', 'OUTFILE', 'DELETE', 'FROM', 't', 'x1', 'e', 'e5', 'E', '_latin1', 'N', 'X', 'B', '1', '1e5', '0x1F', '.5', '1.',
  ' ', '  ', '\n', '\r', '\t', '\v', '\f', '\u00a0', '\u2028', '☃', '😀',
  "'", '"', '`', "''", '\\', '\\N', '/*', '*/', '/*!', '/*!50000', '/*!999999', '/*M!', '/*M!999999', '/*T!', '/*T![ttl]', '/*+ BKA(t) */',
  '--', '-- ', '--\x7f', '#', '@', '@@', '@a', '@@session.', '.', ',', ';', '(', ')', '*', '/', '-', '+', '=', ':', ':=', '<', '>', '!', '|', '&', '?', '$'
]

t.test('property: the rebuilt text reads as the very tokens it was rebuilt from, on every dialect', async (t) => {
  const random = seededRandom(Number(process.env.FUZZ_SEED ?? 20261203))
  const servers = [MARIADB_10_11, MARIADB_12, MYSQL_8, TIDB]
  let checked = 0
  const failures: string[] = []
  for (let n = 0; n < 20000; n++) {
    let sql = ''
    const length = 1 + Math.floor(random() * 14)
    for (let i = 0; i < length; i++) sql += FRAGMENTS[Math.floor(random() * FRAGMENTS.length)]
    const server = servers[n % servers.length]!
    let tokens: Token[]
    try {
      tokens = lex(sql, server)
    } catch {
      continue // refused: nothing would be sent
    }
    const rebuilt = rebuild(tokens)
    const again = lex(rebuilt, server)
    const shape = (list: Token[]) => JSON.stringify(list.map((token) => `${token.kind}:${token.text}`))
    if (shape(again) !== shape(tokens)) failures.push(`${server.dialect}: ${JSON.stringify(sql)} was rebuilt as ${JSON.stringify(rebuilt)}`)
    // Outside its quoted tokens and hints, the text holds no comment marker at all.
    const skeleton = rebuild(tokens.filter((token) => token.kind !== 'hint').map((token) =>
      token.kind === 'string' || token.kind === 'ident' || token.kind === 'variable' ? { ...token, text: 'q' } : token))
    if (/--|#|\/\*|\*\//.test(skeleton)) failures.push(`${server.dialect}: ${JSON.stringify(sql)} sends a comment marker: ${JSON.stringify(rebuilt)}`)
    checked++
  }
  t.strictSame(failures.slice(0, 5), [], 'every rebuilt text reads as its tokens and holds no comment marker')
  t.ok(checked > 5000, `${checked} generated statements could be read, and each rebuilt text read the same`)
})
