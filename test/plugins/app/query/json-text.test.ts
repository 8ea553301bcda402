import t from 'tap'
import { JsonEscapeWriter, jsonStringBytes } from '../../../../plugins/app/query/json-text.js'

/** Mostly plain text (the fast path), sometimes with characters JSON escapes or writes in several bytes. */
const PLAIN = ['a', 'Z', ' ', '~', '0']
const OTHER = ['\u0001', '\n', '"', '\\', 'é', '€', '\u{1f600}', '\ud800']

function randomText (length: number): string {
  const alphabet = Math.random() < 0.5 ? PLAIN : [...PLAIN, ...OTHER]
  let text = ''
  for (let i = 0; i < length; i++) text += alphabet[Math.floor(Math.random() * alphabet.length)]
  return text
}

const weight = (text: string): number => Buffer.byteLength(JSON.stringify(text))

t.test('jsonStringBytes: the JSON weight of a string, and how many characters fit within a limit', async (t) => {
  let checked = 0
  for (let round = 0; round < 3000; round++) {
    const text = randomText(Math.floor(Math.random() * 120))
    const limit = 2 + Math.floor(Math.random() * (text.length * 3 + 10))
    const { bytes, fits } = jsonStringBytes(text, limit)
    const whole = weight(text)
    if (whole <= limit) {
      if (bytes !== whole || fits !== text.length) return t.fail(`${JSON.stringify(text)} at ${limit}: ${bytes}/${fits}, not ${whole}/${text.length}`)
    } else {
      if (bytes <= limit) return t.fail(`${JSON.stringify(text)} at ${limit}: says ${bytes} bytes, within the limit`)
      // The characters that fit weigh within the limit; one more character (a pair counts as one) does not.
      if (weight(text.slice(0, fits)) > limit) return t.fail(`${JSON.stringify(text)} at ${limit}: ${fits} characters weigh past it`)
      const next = text.codePointAt(fits)! > 0xffff ? fits + 2 : fits + 1
      if (weight(text.slice(0, next)) <= limit) return t.fail(`${JSON.stringify(text)} at ${limit}: more than ${fits} characters fit`)
    }
    checked++
  }
  t.equal(checked, 3000, '3,000 generated strings and limits')
})

t.test('JsonEscapeWriter: UTF-8 bytes escaped as JSON.stringify escapes their text, cut between characters at its limit, whatever its steps', async (t) => {
  // Characters of every UTF-8 length and every escape (no lone surrogate: the bytes are UTF-8).
  const alphabet = ['a', ' ', '~', '\u007f', '\u0000', '\u0001', '\u001f', '\b', '\t', '\n', '\f', '\r', '"', '\\', '/', 'é', '€', '\u2028', '\u{1f600}', '\u{10ffff}']
  let checked = 0
  for (let round = 0; round < 3000; round++) {
    let text = ''
    for (let i = Math.floor(Math.random() * 150); i > 0; i--) text += alphabet[Math.floor(Math.random() * alphabet.length)]
    const escaped = Buffer.from(JSON.stringify(text).slice(1, -1))
    const room = Math.floor(Math.random() * (escaped.length + 10))
    const offset = Math.floor(Math.random() * 4)
    const out = Buffer.alloc(offset + room)
    const writer = new JsonEscapeWriter(Buffer.from(text), out, offset, offset + room)
    const step = 1 + Math.floor(Math.random() * 40)
    while (writer.step(step));
    // What fits: the longest beginning of the text whose escape is within the room.
    const fits = text.slice(0, jsonStringBytes(text, room + 2).fits)
    const expected = JSON.stringify(fits).slice(1, -1)
    const got = out.toString('utf8', offset, writer.pos)
    if (got !== expected) return t.fail(`${JSON.stringify(text)} in ${room} bytes, steps of ${step}: ${JSON.stringify(got)}, not ${JSON.stringify(expected)}`)
    checked++
  }
  t.equal(checked, 3000, '3,000 generated texts, rooms and step sizes')
})
