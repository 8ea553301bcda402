import t from 'tap'
import { jsonStringBytes } from '../../../../plugins/app/query/json-text.js'
import { cutLongText, LongText, textWithin, weighsWithin } from '../../../../plugins/app/query/long-values.js'

/** Characters of every UTF-8 length and every JSON weight: escapes, quotes, 2-, 3- and 4-byte ones. */
const ALPHABET = ['a', 'Z', ' ', '\u0001', '\n', '"', '\\', 'é', 'ß', '€', '中', '\u{1f600}', '\u{10ffff}', '\u007f', '\ufffd']

function randomText (length: number): string {
  let text = ''
  for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(Math.random() * ALPHABET.length)]
  return text
}

t.test('weighsWithin and textWithin read a long value\'s JSON weight from its bytes as JSON.stringify would write its text', async (t) => {
  let checked = 0
  for (let round = 0; round < 3000; round++) {
    const text = randomText(Math.floor(Math.random() * 200))
    const bytes = Buffer.from(text)
    const weight = Buffer.byteLength(JSON.stringify(text))
    const limit = Math.floor(Math.random() * (weight + 20))
    if (weighsWithin(bytes, limit) !== (weight - 2 <= limit)) return t.fail(`weighsWithin: ${JSON.stringify(text)} (${weight - 2} bytes of JSON) at ${limit}`)
    // The longest beginning that fits, as the text's own weighing finds it (never splitting a pair).
    const budget = 2 + Math.floor(Math.random() * weight)
    const expected = text.slice(0, jsonStringBytes(text, budget).fits)
    if (textWithin(bytes, budget) !== expected) return t.fail(`textWithin: ${JSON.stringify(text)} at ${budget}: ${JSON.stringify(textWithin(bytes, budget))}, not ${JSON.stringify(expected)}`)
    checked++
  }
  t.equal(checked, 3000, '3,000 generated values, limits and budgets')
})

t.test('textWithin: a cut inside a multi-byte character leaves that character out', async (t) => {
  const bytes = Buffer.from('a€b')
  t.equal(textWithin(bytes, 3), 'a')
  t.equal(textWithin(bytes, 5), 'a', 'two of the €\'s three bytes fit: not the character')
  t.equal(textWithin(bytes, 6), 'a€')
  t.equal(textWithin(bytes, 7), 'a€b')
  t.equal(textWithin(Buffer.alloc(0), 2), '')
})

t.test('a value of control characters is read only as far as the budget holds, and a longer one not at all to be weighed', async (t) => {
  t.equal(textWithin(Buffer.alloc(16_000_000, 1), 602), '\u0001'.repeat(100), 'six bytes of JSON each: 100 in 602 with the quotes')
  t.equal(weighsWithin(Buffer.alloc(16_000_000, 1), 8_388_608), false)
  t.equal(weighsWithin(Buffer.alloc(100, 1), 600), true)
  t.equal(weighsWithin(Buffer.alloc(100, 1), 599), false)
  t.equal(textWithin(Buffer.from([0x61, 0xff, 0x62, 0x63]), 7), 'a\ufffdb', 'a byte that is not UTF-8 decodes as U+FFFD, weighed as its three bytes')
})

t.test('cutLongText: UTF-8 stays bytes (a LongText, written as the same text); other bytes are decoded and cut as text', async (t) => {
  const value = Buffer.alloc(16_000_000, 1)
  const cut = cutLongText(value, 602)
  t.ok(cut instanceof LongText, 'control characters: kept as bytes')
  t.equal((cut as LongText).bytes.length, 600, 'no more of them than the budget could hold')
  t.equal(JSON.stringify(cut), JSON.stringify('\u0001'.repeat(100)), 'JSON.stringify writes the text that fits')
  const euro = cutLongText(Buffer.from('a€b'), 5)
  t.ok(euro instanceof LongText)
  t.equal((euro as LongText).toJSON(), 'a', 'the cut falls between characters')
  t.equal(cutLongText(Buffer.from([0x61, 0xff, 0x62, 0x63]), 7), 'a\ufffdb', 'a byte that is not UTF-8: decoded (as U+FFFD) and cut as text')
})

t.test('cutLongText keeps a copy of at most the budget\'s bytes, not a view of the packet it was read from', async (t) => {
  // A value as mysql2 hands it over: a view into a larger buffer (the row's packet).
  const packet = Buffer.alloc(4 << 20, 0x01)
  const value = packet.subarray(16, packet.length - 16)
  const cut = cutLongText(value, 1 << 20) as LongText
  t.ok(cut instanceof LongText)
  t.equal(cut.bytes.length, (1 << 20) - 2, 'the budget\'s bytes, without the quotes')
  t.not(cut.bytes.buffer, packet.buffer, 'in memory of its own: the packet can be freed while the answer is written')
  packet.fill(0x78)
  t.equal(cut.toJSON(), '\u0001'.repeat(((1 << 20) - 2) / 6 | 0), 'and what it writes does not change with the packet')
})
