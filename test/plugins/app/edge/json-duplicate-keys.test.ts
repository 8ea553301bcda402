import t from 'tap'
import { duplicateKey } from '../../../../plugins/app/edge/json-duplicate-keys.js'
import { seededRandom } from '../../../fixtures/seeded-random.js'

const SEED = Number(process.env.FUZZ_SEED ?? 23)
const CASES = Number(process.env.FUZZ_CASES ?? 3000)

const check = (text: string) => duplicateKey(text, JSON.parse(text))

t.test('a key named twice in one object is found, however it is spelled or nested', async (t) => {
  const cases: Array<[string, string | null]> = [
    ['{"query": "SELECT 1", "session_id": "a"}', null],
    ['{"session_id": "aaaaaaaa", "query": "SELECT 1", "session_id": "bbbbbbbb"}', 'session_id'],
    // The same key, one spelling escaped: JSON.parse reads both as session_id.
    ['{"session_id": "a", "session\\u005fid": "b"}', 'session_id'],
    ['{"a": {"b": 1, "b": 2}}', 'b'],
    ['[{"x": 1}, {"x": 2}, {"y": {"z": [{"k": 1, "k": 1}]}}]', 'k'],
    // The same key in sibling or nested objects is no repeat.
    ['{"a": {"a": {"a": 1}}, "b": {"a": 2}}', null],
    // Colons, quotes, braces and backslashes inside strings are no members.
    ['{"query": "SELECT \'12:00\', \\"a\\": 1 {\\"b\\\\\\":", "x": ":::"}', null],
    ['{"k:": 1, "k": 2}', null],
    ['{"": 1, "": 2}', ''],
    ['"a:b"', null],
    ['[1, 2, ":"]', null],
    ['{"a" : 1 , "a"\n:\t2}', 'a']
  ]
  for (const [text, expected] of cases) t.equal(check(text), expected, text)
})

/** A random JSON text built by hand (so that it can repeat a key), with the keys it repeats. */
function generate (random: () => number): { text: string, repeats: boolean } {
  let repeats = false
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const PIECES = ['a', 'b', ':', '"', '\\', '{', '}', '[', ']', ',', ' ', 'é', '😀', '\n', 'session_id', 'query']
  const string = () => JSON.stringify(Array.from({ length: Math.floor(random() * 5) }, () => pick(PIECES)).join(''))
  const value = (depth: number): string => {
    const kind = depth > 3 ? Math.floor(random() * 3) : Math.floor(random() * 5)
    if (kind === 0) return string()
    if (kind === 1) return pick(['1', '-2.5e3', 'true', 'null', 'false'])
    if (kind === 2 && depth <= 3) return `[${Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1)).join(', ')}]`
    if (kind === 2) return '0'
    const keys = Array.from({ length: Math.floor(random() * 5) }, string)
    if (keys.length > 0 && random() < 0.1) {
      // A repeat, sometimes spelled with an escape the reader decodes.
      const key = pick(keys)
      keys.push(random() < 0.5 ? key : key.replace(/[a-z]/, (c) => `\\u00${c.charCodeAt(0).toString(16)}`))
    }
    if (new Set(keys.map((key) => JSON.parse(key) as string)).size < keys.length) repeats = true
    return `{${keys.map((key) => `${key}${pick([':', ' : ', '\n:'])}${value(depth + 1)}`).join(', ')}}`
  }
  const text = value(0)
  return { text, repeats }
}

t.test(`generated JSON texts (seed ${SEED}, ${CASES} texts): a repeat is found exactly when the text has one`, async (t) => {
  const random = seededRandom(SEED)
  let repeated = 0
  let failures = 0
  for (let i = 0; i < CASES && failures < 5; i++) {
    const { text, repeats } = generate(random)
    const found = check(text)
    if (repeats) repeated++
    if ((found !== null) !== repeats) {
      failures++
      t.fail(`${repeats ? 'missed a repeat' : 'found a repeat that is not there'} in ${text}`)
    }
  }
  t.equal(failures, 0, `${CASES} texts, ${repeated} with a repeated key`)
  t.ok(repeated > CASES / 20, 'a good share of them repeat a key')
})
