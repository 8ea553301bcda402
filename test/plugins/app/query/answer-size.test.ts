import t from 'tap'
import { jsonStringBytes } from '../../../../plugins/app/query/answer-size.js'

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
