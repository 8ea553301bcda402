import t from 'tap'
import { lex } from '../../../../../plugins/app/query/sql/lexer.js'
import { sqlServer } from '../../../../../plugins/app/query/sql/server.js'
import { tableReferences, type TableReference } from '../../../../../plugins/app/query/sql/table-references.js'

const MARIADB = sqlServer('10.11.19-MariaDB-0+deb12u1')

const read = (sql: string): TableReference[] => tableReferences(lex(sql, MARIADB))
const ref = (table: string, alias: string | null = null, database: string | null = null): TableReference => ({ database, table, alias })

t.test('a table where a table is expected, with its database and its alias however they are written', async (t) => {
  t.strictSame(read('SELECT * FROM orders'), [ref('orders')])
  t.strictSame(read('SELECT * FROM orders o'), [ref('orders', 'o')])
  t.strictSame(read('SELECT * FROM orders AS o WHERE o.id = 1'), [ref('orders', 'o')])
  t.strictSame(read('SELECT * FROM sales.orders `the orders`'), [ref('orders', 'the orders', 'sales')])
  t.strictSame(read('SELECT * FROM `sales`.`Orders` AS `o``x`'), [ref('Orders', 'o`x', 'sales')], 'quoted names as the server reads them, case kept')
  t.strictSame(read('SELECT * FROM orders /* a comment */ o'), [ref('orders', 'o')], 'comments between are no tokens')
})

t.test('joins and lists of tables, each with its own alias', async (t) => {
  t.strictSame(read('SELECT * FROM orders o JOIN items i ON i.order_id = o.id LEFT JOIN customers USING (id)'),
    [ref('orders', 'o'), ref('items', 'i'), ref('customers')])
  t.strictSame(read('SELECT * FROM orders o, items i, db2.customers WHERE 1'), [ref('orders', 'o'), ref('items', 'i'), ref('customers', null, 'db2')])
  t.strictSame(read('SELECT * FROM a STRAIGHT_JOIN b'), [ref('a'), ref('b')])
  t.strictSame(read('UPDATE orders o SET o.total = 1'), [ref('orders', 'o')])
  t.strictSame(read('INSERT INTO orders (id) VALUES (1)'), [ref('orders')])
  t.strictSame(read('DELETE FROM orders WHERE id = 1'), [ref('orders')])
})

t.test('the words that follow a table without naming it are no alias', async (t) => {
  for (const follower of ['WHERE id = 1', 'GROUP BY id', 'ORDER BY id', 'LIMIT 1', 'FOR UPDATE', 'LOCK IN SHARE MODE', 'USE INDEX (i)',
    'FORCE INDEX (i)', 'IGNORE INDEX (i)', 'PARTITION (p0)', 'UNION SELECT 1', 'NATURAL JOIN b', 'CROSS JOIN b', 'INNER JOIN b ON 1', 'WINDOW w AS ()']) {
    t.strictSame(read(`SELECT * FROM t ${follower}`)[0], ref('t'), follower)
  }
})

t.test('derived tables and subqueries: the tables inside are read where they are named', async (t) => {
  t.strictSame(read('SELECT * FROM (SELECT id FROM orders o) d'), [ref('orders', 'o')], 'a derived table has no table name of its own')
  t.strictSame(read('SELECT id FROM orders WHERE id IN (SELECT order_id FROM items)'), [ref('orders'), ref('items')])
  t.strictSame(read('SELECT 1'), [])
})
