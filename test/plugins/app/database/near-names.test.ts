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

t.test('the distance along the diagonal is the whole distance wherever it decides', async (t) => {
  /** The rule spelt out with the whole table of Levenshtein distances. */
  const whole = (a: string, b: string): number => {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
    for (let i = 1; i <= a.length; i++) {
      const current = [i]
      for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
    return previous[b.length]!
  }
  const reference = (unknown: string, candidate: string): number | null => {
    const a = unknown.toLowerCase()
    const b = candidate.toLowerCase()
    if (a === '' || a === b) return null
    const distance = whole(a, b)
    if (distance <= 3 && distance * 2 <= a.length) return distance
    const holds = a.length >= 3 && b.includes(a)
    const held = b.length >= 3 && b.length * 2 >= a.length && a.includes(b)
    return holds || held ? distance : null
  }
  let state = 7
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  const word = () => Array.from({ length: Math.floor(random() * 12) }, () => 'abcAB_'[Math.floor(random() * 6)]).join('')
  let differences = 0
  for (let i = 0; i < 20_000; i++) {
    const a = word()
    // Half the candidates are the word changed a little, so that near ones are common.
    const b = random() < 0.5 ? word() : a.slice(0, Math.floor(random() * (a.length + 1))) + word().slice(0, 2) + a.slice(Math.floor(random() * (a.length + 1)))
    if (closeness(a, b) !== reference(a, b) && differences++ < 5) t.fail(`${JSON.stringify(a)} ~ ${JSON.stringify(b)}: ${closeness(a, b)} vs ${reference(a, b)}`)
  }
  t.equal(differences, 0, '20,000 pairs')
})
