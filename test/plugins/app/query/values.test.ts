import t from 'tap'
import { uniqueKeys } from '../../../../plugins/app/query/values.js'

const fields = (...names: string[]): string[] => names

t.test('uniqueKeys: null when every name is its own; else a suffix for each repeat, one no column has', async (t) => {
  t.equal(uniqueKeys(fields()), null)
  t.equal(uniqueKeys(fields('id')), null)
  t.equal(uniqueKeys(fields('id', 'name', 'ID')), null, 'names differ by case: JSON keys do too')
  t.equal(uniqueKeys(fields(...Array.from({ length: 40 }, (_, i) => `c${i}`))), null, 'a wide result without repeats')
  t.strictSame(uniqueKeys(fields('id', 'name', 'id', 'name', 'id')), ['id', 'name', 'id_2', 'name_2', 'id_3'])
  t.strictSame(uniqueKeys(fields('x', 'x_2', 'x', 'x', 'x_3')), ['x', 'x_2', 'x_4', 'x_5', 'x_3'], 'a suffix that is a column\'s own name is skipped')
  t.strictSame(uniqueKeys(fields('x', 'x', 'x_2', 'x_2')), ['x', 'x_3', 'x_2', 'x_2_2'], 'a repeated name that looks suffixed gets its own suffix')
  t.strictSame(uniqueKeys(fields('__proto__', '__proto__')), ['__proto__', '__proto___2'])
  t.strictSame(uniqueKeys(fields('', '')), ['', '_2'], 'an empty name too')
})

t.test('uniqueKeys: thousands of columns of one name (SELECT 1, 1, 1, ...) get 1 to n in order', async (t) => {
  // Trying each repeat's suffixes from _2 again was quadratic: 30,000 such columns held the event
  // loop for 30 s. The next suffix is remembered per name.
  const keys = uniqueKeys(fields(...Array.from({ length: 30_000 }, () => '1')))
  t.equal(keys?.length, 30_000)
  t.equal(keys?.[0], '1')
  t.equal(keys?.[1], '1_2')
  t.equal(keys?.[29_999], '1_30000')
  t.equal(new Set(keys).size, 30_000)
})
