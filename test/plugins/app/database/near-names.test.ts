import t from 'tap'
import { closeness, nearNames } from '../../../../plugins/app/database/near-names.js'

t.test('a name is near when it is a few edits away, at most half the length of the one misspelt', async (t) => {
  t.equal(closeness('custmers', 'customers'), 1)
  t.equal(closeness('CUSTMERS', 'customers'), 1, 'case does not count')
  t.equal(closeness('ordrs', 'orders'), 1)
  t.equal(closeness('abc', 'xyz'), null, 'three edits of three letters: another name, not a misspelling')
  t.equal(closeness('t1', 't2'), 1, 'one edit of two letters is half of it')
  t.equal(closeness('t1', 'x2'), null, 'two are all of it')
  t.equal(closeness('qty', 'quantity'), null, 'five edits, and not held in it')
  t.equal(closeness('created', 'created_at'), 3, 'held in it')
  t.equal(closeness('orders_arch', 'orders'), 5, 'held in it as half of it or more')
  t.equal(closeness('orders_archive', 'orders'), null, 'less than half of it')
  t.equal(closeness('order_totl', 'ord'), null, 'a short name held in a long one is another name')
  t.equal(closeness('id', 'order_id'), null, 'a name of fewer than three letters is held in too many')
  t.equal(closeness('orders', 'orders'), null, 'the same name is not another')
  t.equal(closeness('orders', 'ORDERS'), null, 'nor in another case: the server\'s comparison names those')
  t.equal(closeness('total', 'total', true), 0, 'unless the same name is asked for (a column of another table)')
  t.equal(closeness('', 'a'), null)
})

t.test('the names near one, closest first, then closest counting case, then in their order', async (t) => {
  t.strictSame(nearNames('order', ['customers', 'Orders2', 'orders', 'invoices'], 3), ['orders', 'Orders2'])
  t.strictSame(nearNames('orders1', ['Orders2', 'orders'], 3), ['orders', 'Orders2'], 'one edit each: orders spells the case as written')
  t.strictSame(nearNames('item', ['item_a', 'item_b', 'item_c', 'item_d', 'items'], 3), ['items', 'item_a', 'item_b'], 'at most max')
  t.strictSame(nearNames('zebra', ['orders', 'customers'], 3), [])
})
