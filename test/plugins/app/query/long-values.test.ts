import t from 'tap'
import { jsonStringBytes } from '../../../../plugins/app/query/answer-size.js'
import { decodeWithin } from '../../../../plugins/app/query/long-values.js'

/** Characters of every UTF-8 length and every JSON weight: escapes, quotes, 2-, 3- and 4-byte ones. */
const ALPHABET = ['a', 'Z', ' ', '\u0001', '\n', '"', '\\', 'é', 'ß', '€', '中', '\u{1f600}', '\u{10ffff}', '\u007f']

function randomText (length: number): string {
  let text = ''
  for (let i = 0; i < length; i++) text += ALPHABET[Math.floor(Math.random() * ALPHABET.length)]
  return text
}

t.test('decodeWithin: a prefix that weighs more than the limit whenever the value does, and cuts where the whole value would', async (t) => {
  let checked = 0
  for (let round = 0; round < 2000; round++) {
    const text = randomText(Math.floor(Math.random() * 200))
    const bytes = Buffer.from(text)
    const limit = Math.floor(Math.random() * (bytes.length + 20))
    const { text: decoded, whole } = decodeWithin(bytes, limit)
    if (whole !== (decoded === text)) return t.fail(`whole says ${whole}: ${JSON.stringify(text)} at ${limit}`)
    if (!text.startsWith(decoded)) return t.fail(`not a prefix: ${JSON.stringify(text)} at ${limit}`)
    if (jsonStringBytes(text, Infinity).bytes - 2 <= limit && decoded !== text) return t.fail(`a value whose JSON weighs within the limit is whole: ${JSON.stringify(text)}`)
    if (decoded !== text && jsonStringBytes(decoded, Infinity).bytes <= limit) return t.fail(`a cut prefix still weighs past the limit: ${JSON.stringify(text)} at ${limit}`)
    // The budget cuts a value at `budget` <= limit: the prefix gives the same characters.
    const budget = Math.floor(Math.random() * (limit + 1))
    if (jsonStringBytes(decoded, budget).fits !== jsonStringBytes(text, budget).fits) return t.fail(`cut elsewhere: ${JSON.stringify(text)} at ${budget}`)
    checked++
  }
  t.equal(checked, 2000, '2,000 generated values and limits')
})

t.test('decodeWithin: a limit inside a multi-byte character decodes that character whole', async (t) => {
  const bytes = Buffer.from('a€b')
  t.equal(decodeWithin(bytes, 1).text, 'a€', 'the € that starts at byte 1 is kept whole')
  t.equal(decodeWithin(bytes, 2).text, 'a€')
  t.equal(decodeWithin(bytes, 4).text, 'a€b')
  t.equal(decodeWithin(bytes, 5).text, 'a€b')
  t.equal(decodeWithin(Buffer.alloc(0), 0).text, '')
})

t.test('decodeWithin: text that weighs more than its length is decoded only as far as its weight reaches the limit', async (t) => {
  t.equal(decodeWithin(Buffer.alloc(1_000_000, 1), 600).text.length, 101, 'six bytes of JSON each: 100 fit in 600, and one more passes it')
  t.equal(decodeWithin(Buffer.from('""""'), 4).text, '"""', 'a quote weighs two')
  t.equal(decodeWithin(Buffer.from([0x61, 0xff, 0x62]), 5).text, 'a\ufffdb', 'a byte that is not UTF-8 still decodes (as U+FFFD)')
})
