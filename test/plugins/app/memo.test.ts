import t from 'tap'
import { memoize } from '../../../plugins/app/memo.js'

t.test('memoize: computes once per key, remembers at most `size` keys, oldest forgotten first', async (t) => {
  const calls: string[] = []
  const upper = memoize(2, (key) => { calls.push(key); return key === 'none' ? null : key.toUpperCase() })
  t.equal(upper('a'), 'A')
  t.equal(upper('a'), 'A')
  t.strictSame(calls, ['a'], 'a repeated key is not computed again')
  t.equal(upper('none'), null)
  t.equal(upper('none'), null)
  t.strictSame(calls, ['a', 'none'], 'a null result is remembered too')
  upper('b') // a third key: 'a', the oldest, is forgotten
  upper('none')
  upper('a')
  t.strictSame(calls, ['a', 'none', 'b', 'a'], 'past the size the oldest key is computed anew')
})

t.test('memoize: a key longer than maxKeyLength is computed every time and never held', async (t) => {
  const calls: string[] = []
  const length = memoize(2, (key) => { calls.push(key); return key.length }, 3)
  t.equal(length('abc'), 3)
  t.equal(length('abc'), 3)
  t.equal(length('abcd'), 4)
  t.equal(length('abcd'), 4)
  t.strictSame(calls, ['abc', 'abcd', 'abcd'], 'a key at the limit is remembered, one past it is not')
  length('x')
  length('abc')
  t.strictSame(calls, ['abc', 'abcd', 'abcd', 'x'], 'the long key took no place: two short keys still fit')
})
