import t from 'tap'
import { inexactNumber } from '../../../../plugins/app/edge/json-numbers.js'

t.test('a number is refused when a double cannot hold it as written', async (t) => {
  for (const number of ['1.0000000000000001', '9007199254740993', '-9007199254740993', '1e-400', '1e309', '-1e309', '123456789.123456789', '0.1000000000000000055511151231257827']) {
    t.equal(inexactNumber(`{"params": [1, ${number}]}`), number, number)
  }
})

t.test('a number reads as written when its value is the double\'s, however it is spelt', async (t) => {
  for (const number of ['0', '-0', '0.0', '1', '-1', '1.50', '1E2', '1e+2', '100e-2', '0.1', '0.30000000000000004', '5e-324', '1.7976931348623157e308',
    '9007199254740992', '1e20', '123456789012345', '0.000001', '1e-7', String(Math.PI), String(-Number.MIN_VALUE)]) {
    t.equal(inexactNumber(`{"n": ${number}}`), null, number)
  }
})

t.test('digits in strings, keys and escapes are no numbers', async (t) => {
  t.equal(inexactNumber('{"query": "SELECT 1.0000000000000001", "s": "\\"1e-400"}'), null)
  t.equal(inexactNumber('{"1.0000000000000001": 1, "a\\\\": 2}'), null)
  t.equal(inexactNumber('{"a\\\\": 1.0000000000000001}'), '1.0000000000000001', 'after a string that ends in an escaped backslash')
})

t.test('every number JSON.stringify writes reads as written', async (t) => {
  let state = 20261207
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  for (let i = 0; i < 5000; i++) {
    const value = (random() - 0.5) * 10 ** Math.floor(random() * 600 - 300)
    const text = JSON.stringify({ n: value })
    if (inexactNumber(text) !== null) t.fail(text)
  }
  t.pass('5000 random doubles')
})
