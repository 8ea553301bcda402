import t from 'tap'
import { clientNames, selectItems } from '../../../../../plugins/app/query/sql/column-names.js'
import { lex } from '../../../../../plugins/app/query/sql/lexer.js'
import { rebuild } from '../../../../../plugins/app/query/sql/rebuild.js'
import { sqlServer } from '../../../../../plugins/app/query/sql/server.js'
import { seededRandom } from '../../../../fixtures/seeded-random.js'

/** The select-list reading on its own; test/routes/api/query/column-names.test.ts checks it against the server. */

const MARIADB = sqlServer('10.11.19-MariaDB')
const items = (sql: string) => selectItems(sql, lex(sql, MARIADB))

t.test('selectItems: the first query block\'s items in both spellings, stars, and null where nothing is spelt otherwise', async (t) => {
  t.strictSame(items('SELECT a+1, *, t.*, b FROM t'), [{ rebuilt: 'a + 1', written: 'a+1' }, '*', '*', null])
  t.strictSame(items('SELECT DISTINCT SQL_NO_CACHE @v'), [{ rebuilt: '@`v`', written: '@v' }])
  t.strictSame(items('WITH c AS (SELECT x+1 FROM u) ((SELECT 2*2 FROM c)) UNION SELECT 3+3'), [{ rebuilt: '2 * 2', written: '2*2' }])
  t.strictSame(items('SELECT f(a,b)+1, (SELECT 1+1) FROM t'), [{ rebuilt: 'f(a,b)+ 1', written: 'f(a,b)+1' }, { rebuilt: '(SELECT 1 + 1)', written: '(SELECT 1+1)' }])
  t.equal(items('SELECT a, b FROM t WHERE a+1 = 2'), null, 'nothing in the list is spelt otherwise')
  t.equal(items('INSERT INTO t SELECT 1+1'), null, 'not a SELECT')
  t.equal(items('SELECT \\N'), null, '\\N alone: the server names it NULL')
  t.strictSame(items('VALUES (1+1, a), (2, 3)'), [{ rebuilt: '1 + 1', written: '1+1' }, null], 'VALUES: its first row')
  t.strictSame(items('VALUES ROW(-1)'), [{ rebuilt: '- 1', written: '-1' }], 'VALUES ROW(…), as MySQL writes it')
  t.equal(items('VALUES 1+1'), null, 'VALUES without a row is no list')
  const through: Array<[string, string | null]> = [
    ['WITH c AS (SELECT 1+1) SELECT * FROM c', '1+1'],
    ['SELECT d.* FROM (VALUES (2*3)) AS d WHERE 1', '2*3'],
    ['WITH a AS (SELECT 1+1), b AS (SELECT * FROM a) SELECT * FROM b', '1+1'],
    ['WITH RECURSIVE r AS (SELECT 1+1 UNION SELECT * FROM r) SELECT * FROM r', '1+1'],
    ['WITH c AS (SELECT 1+1) SELECT * FROM (WITH c AS (SELECT 3*3) SELECT * FROM c) d', '3*3'],
    ['WITH c AS (SELECT 1+1) SELECT * FROM `c`', '1+1'],
    ['WITH c AS (SELECT * FROM c) SELECT * FROM c', null],
    ['WITH a AS (SELECT * FROM b), b AS (SELECT 1+1) SELECT * FROM a', null],
    ['WITH c (x) AS (SELECT 1+1) SELECT * FROM c', null],
    ['SELECT * FROM (SELECT 1+1) d (x)', null],
    ['SELECT * FROM (SELECT 1+1) d JOIN e', null],
    ['SELECT * FROM (SELECT 1+1) d, e', null],
    ['WITH c AS (SELECT 1+1) SELECT * FROM C', null],
    ['WITH c AS (SELECT 1+1) SELECT * FROM db.c', null],
    ['WITH c AS (SELECT 1+1) SELECT *, 2 FROM c', null]
  ]
  for (const [sql, written] of through) {
    const list = items(sql)
    t.strictSame(list === null ? null : list.map((item) => item === null || item === '*' ? item : item.written).join(), written, `${sql}: a star over one derived table or CTE is its list`)
  }
  t.strictSame(items('SELECT 1 /* c */ +1, /*!2+2*/, 3+3'), [null, null, { rebuilt: '3 + 3', written: '3+3' }], 'an item with a comment, or inside an executable one, keeps the server\'s name')
  for (const sql of ['SELECT (1', 'SELECT (1+1', 'SELECT ,1+1', 'SELECT 1+1,', 'SELECT', '(SELECT 1+1', 'SELECT ((((', 'SELECT )))', 'VALUES (1+1', 'VALUES (', 'VALUES ROW']) {
    t.doesNotThrow(() => items(sql), `${sql}: read to its end`)
  }
})

t.test('clientNames: a column the server named after an item\'s rebuilt text gets its written text, lined up around stars', async (t) => {
  const list = items('SELECT a+1, *, b*2 FROM t')
  t.strictSame(clientNames(['a + 1', 'x', 'y', 'b * 2'], list), ['a+1', 'x', 'y', 'b*2'])
  t.strictSame(clientNames(['a + 1', 'b * 2'], list), ['a+1', 'b*2'], 'a star of no columns')
  t.strictSame(clientNames(['total', 'x', 'b * 2'], list), ['total', 'x', 'b*2'], 'a name the server gave otherwise stays')
  t.strictSame(clientNames(['a + 1'], items('SELECT a+1, b*2')), ['a + 1'], 'a count that cannot line up renames nothing')
  const between = items('SELECT *, a+1, t.* FROM t')
  t.strictSame(clientNames(['x', 'a + 1', 'y'], between), ['x', 'a + 1', 'y'], 'between two stars no item lines up')
})

/**
 * Generated token soup (statements that run or not): the reading ends, and a column is only ever
 * renamed to the written text of the item at its place, whose rebuilt text is the column's name.
 */
t.test('generated statements: selectItems ends, and clientNames renames only to the lined-up item', async (t) => {
  const random = seededRandom(Number(process.env.FUZZ_SEED ?? 5))
  const parts = ['SELECT', 'SELECT', 'VALUES', 'ROW', 'WITH c AS (SELECT 1)', 'WITH c AS (SELECT * FROM c)', ' FROM c', ' FROM (', ') d', 'RECURSIVE', '(', ')', ',', ', ', '*', '.', 'a', 't', '1', '+', '-', ' ', '  ', 'FROM', 'AS', 'x', '@v', '/* c */', 'DISTINCT', 'UNION', "'s'", '\\N']
  let renamed = 0
  for (let n = 0; n < 5000; n++) {
    const sql = Array.from({ length: 1 + Math.floor(random() * 14) }, () => parts[Math.floor(random() * parts.length)]).join('')
    let tokens
    try {
      tokens = lex(sql, MARIADB)
    } catch {
      continue
    }
    const list = selectItems(sql, tokens)
    if (list === null) continue
    const rebuilt = list.map((item) => item === '*' ? 'star' : item === null ? 'same' : item.rebuilt)
    const names = clientNames(rebuilt, list)
    for (let k = 0; k < names.length; k++) {
      if (names[k] === rebuilt[k]) continue
      renamed++
      const item = list[k]
      if (item === undefined || item === null || item === '*' || names[k] !== item.written || rebuilt[k] !== item.rebuilt) t.fail(`${JSON.stringify(sql)}: column ${k} renamed ${JSON.stringify(names[k])}`)
    }
  }
  t.ok(renamed > 40, `columns were renamed (${renamed})`)
  t.equal(rebuild(lex('SELECT a+1', MARIADB)), 'SELECT a + 1', 'the rebuilt spelling the names come back from')
})
