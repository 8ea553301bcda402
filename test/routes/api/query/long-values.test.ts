import t from 'tap'
import { build, createDatabase, post, selectedSession } from '../../../helper.js'
import { jsonStringBytes } from '../../../../plugins/app/query/json-text.js'

/**
 * Values of columns declared longer than 1 MiB (LONGTEXT, MEDIUMTEXT, JSON, LONGBLOB, long
 * expressions) are read as bytes and decoded only as far as the answer's budget holds
 * (plugins/app/query/long-values.ts). Whole, they are the values the database holds; cut, they
 * are cut where the budget says, over the text and the binary protocol alike.
 */
const TEXT = 'a"\\\u0001\n é€中\u{1f600}z'

t.test('long-declared values: whole ones as stored, over text and prepared statements', async (t) => {
  const app = await build(t, { env: { QUERY_MAX_RESULT_BYTES: '65536' } })
  const db = await createDatabase(t,
    'CREATE TABLE l (id INT PRIMARY KEY, lt LONGTEXT, mt MEDIUMTEXT, j JSON, lb LONGBLOB); ' +
    `INSERT INTO l VALUES (1, ${sqlText(TEXT)}, ${sqlText(TEXT.repeat(3))}, '{"n": 12345678901234567890, "s": "é"}', x'00ff10'), (2, NULL, '', NULL, NULL)`)
  const sessionId = await selectedSession(app, db)
  for (const params of [[], [0]]) {
    const res = await post(app, '/api/query', { query: `SELECT lt, mt, j, lb, CONCAT(lt, '') AS expr FROM l WHERE id > ${params.length === 0 ? '0' : '?'} ORDER BY id`, params, session_id: sessionId })
    t.equal(res.statusCode, 200, res.body)
    const via = params.length === 0 ? 'text protocol' : 'prepared statement'
    t.strictSame(res.json().rows, [
      { lt: TEXT, mt: TEXT.repeat(3), j: JSON.parse('{"n": 12345678901234567890, "s": "é"}'), lb: 'AP8Q', expr: TEXT },
      { lt: null, mt: '', j: null, lb: null, expr: null }
    ], via)
    t.match(res.body, /"n":\s?12345678901234567890/, `${via}: the JSON value's digits as stored`)
    t.equal(res.json().truncated, false)
  }
})

t.test('a long-declared value past the budget is cut where the budget says, at a character boundary', async (t) => {
  const budget = 4096
  const app = await build(t, { env: { QUERY_MAX_RESULT_BYTES: String(budget) } })
  const db = await createDatabase(t, 'CREATE TABLE l (id INT PRIMARY KEY, lt LONGTEXT); ' +
    `INSERT INTO l VALUES (1, REPEAT(${sqlText(TEXT)}, 2000))`)
  const sessionId = await selectedSession(app, db)
  const whole = TEXT.repeat(2000)
  for (const [query, params] of [['SELECT lt FROM l', []], ['SELECT lt FROM l WHERE id = ?', [1]], [`SELECT REPEAT(${sqlText(TEXT)}, 2000) AS lt`, []]] as const) {
    const res = await post(app, '/api/query', { query, params, session_id: sessionId })
    t.equal(res.statusCode, 200, res.body)
    const value = res.json().rows[0].lt as string
    t.ok(whole.startsWith(value), `${query}: a prefix of the value`)
    t.ok(value.length > 100, `${query}: ${value.length} characters kept`)
    t.ok(Buffer.byteLength(res.body) <= budget + 512, `${query}: the answer stays near the budget (${Buffer.byteLength(res.body)} bytes)`)
    // One more character would not have fitted where this one did.
    const next = whole.slice(0, value.length + 1)
    t.ok(jsonStringBytes(next, Infinity).bytes > jsonStringBytes(value, Infinity).bytes, 'cut at a character, not inside one')
    t.match(res.json(), { truncated: true, truncated_values: 1, truncated_columns: ['lt'] })
  }
})

/** A string as a MariaDB literal: hex, so no quoting or escaping rule is involved. */
function sqlText (text: string): string {
  return `CONVERT(x'${Buffer.from(text).toString('hex')}' USING utf8mb4)`
}
