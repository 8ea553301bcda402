import type { FieldPacket } from 'mysql2/promise'
import t from 'tap'
import { seededRandom } from '../../../fixtures/seeded-random.js'
import { build, createDatabase, download, gatewayLikeConnection, listen, parseCsv, post, selectedSession } from '../../../helper.js'

/**
 * Result columns are named as the client's text names them on the server, though the server
 * receives the statement rebuilt (`price*qty` sent as `price * qty`, `@v` as ``@`v` ``): generated
 * select lists run directly on the real MariaDB and through the gateway, in every answer format
 * and in exports. FUZZ_SEED and FUZZ_CASES reproduce or widen a run.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 7)
const CASES = Number(process.env.FUZZ_CASES ?? 600)
const TABLE = 'CREATE TABLE t (a INT, price DECIMAL(6,2), qty INT, j JSON); INSERT INTO t VALUES (1, 2.50, 3, \'{"k": 1}\')'

/** Terms and operators of the generated items, and the whitespace that may stand between them (never a comment). */
const TERMS = ['1', '-1', '.5', '1e2', 'a', 't.a', 'price', 'qty', '@v', '@@sql_mode', '@@session.time_zone', "x'41'", "b'1'", '0x41',
  "'s'", '"d"', "N'n'", "_utf8mb4'u'", 'NULL', '\\N', 'TRUE', 'NOW()', 'COUNT(*)', 'CONCAT(a,"b")', "j->>'$.k'", '(SELECT 2)', '`a`', '?']
const OPERATORS = ['+', '-', '*', '/', '<>', '<=>', '=', '||', '&&', 'DIV', 'MOD', '%']
const SPACES = ['', '', ' ', '  ', '\n  ', '\t']
/** What may stand before an item: nothing, whitespace, or a comment, which is no part of the item's name. */
const BEFORE = [' ', ' ', '\n', ' /* c */ ', ' -- c\n ', '/*!*/ ']

/** A select list of one to four items (expressions, aliased ones, stars), or a row of VALUES; some read through a derived table or a CTE. */
function generate (random: () => number): { sql: string, params: string[] } {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
  const params: string[] = []
  const term = (): string => {
    const chosen = pick(TERMS)
    if (chosen === '?') params.push(String(Math.floor(random() * 100)))
    return chosen
  }
  const expression = (): string => {
    let text = term()
    for (let n = Math.floor(random() * 3); n > 0; n--) text += `${pick(SPACES)}${pick(OPERATORS)}${pick(SPACES)}${term()}`
    return text
  }
  const item = (): string => {
    const roll = random()
    if (roll < 0.1) return pick(['*', 't.*'])
    if (roll < 0.2) return `${expression()} AS x${Math.floor(random() * 3)}`
    return expression()
  }
  // A row of VALUES, whose columns MariaDB names after their text too (items that name a column fail both ways).
  if (random() < 0.15) return { sql: `VALUES (${Array.from({ length: 1 + Math.floor(random() * 3) }, () => `${pick(BEFORE)}${expression()}`).join(',')})`, params }
  const items = Array.from({ length: 1 + Math.floor(random() * 4) }, () => `${pick(BEFORE)}${item()}`)
  const distinct = random() < 0.2 ? ' DISTINCT' : ''
  const sql = `SELECT${distinct}${items.join(',')} FROM t`
  // Through a star over a derived table or a CTE, whose list names the columns.
  const roll = random()
  if (roll < 0.1) return { sql: `SELECT * FROM (${sql}) AS d`, params }
  if (roll < 0.2) return { sql: `WITH c AS (${sql}) SELECT c.* FROM c WHERE 1`, params }
  return { sql, params }
}

t.test(`generated select lists: every column is named as the server names it for the client's text (seed ${SEED}, ${CASES} statements)`, async (t) => {
  const db = await createDatabase(t, TABLE)
  const app = await build(t, { env: { RATE_LIMIT_MAX: '1000000', RATE_LIMIT_ADDRESS_MAX: '1000000' } })
  const sessionId = await selectedSession(app, db)
  const direct = (await gatewayLikeConnection(t, app, db)).promise()
  const random = seededRandom(SEED)
  const failures: string[] = []
  let compared = 0
  let renamed = 0
  for (let n = 0; n < CASES; n++) {
    const { sql, params } = generate(random)
    const fields = await (params.length === 0 ? direct.query(sql) : direct.execute(sql, params)).then(([, fields]) => fields as FieldPacket[], () => null)
    if (fields === null) continue
    const expected = fields.map((field) => withoutLeadingComments(field.name))
    const format = n % 2 === 0 ? 'object' : 'array'
    const res = await post(app, '/api/query', { query: sql, session_id: sessionId, row_format: format, ...(params.length === 0 ? {} : { params }) })
    const body = res.json()
    const names = res.statusCode === 200 ? (body.columns as Array<{ name: string }>).map((column) => column.name) : [`${res.statusCode} ${String(body.code)}`]
    compared++
    // A name the rebuilt text spells otherwise: an operator glued to a term, a run of whitespace, a variable.
    if (expected.some((name) => /[^\s][-+*/%<>=|&]|[-+*/%<>=|&][^\s]|\s\s|\n|@/.test(name))) renamed++
    // Object rows are keyed by the columns' names (a repeated one suffixed, as `columns` says; an
    // object lists integer-like keys first).
    const keys = format === 'object' && res.statusCode === 200 ? Object.keys(body.rows[0]).sort() : [...names].sort()
    if (JSON.stringify(names) !== JSON.stringify(expected) && !repeated(expected)) failures.push(`${JSON.stringify(sql)}: the server ${JSON.stringify(expected)}, the gateway ${JSON.stringify(names)}`)
    else if (JSON.stringify(keys) !== JSON.stringify([...names].sort())) failures.push(`${JSON.stringify(sql)}: rows keyed ${JSON.stringify(keys)}, columns ${JSON.stringify(names)}`)
  }
  t.strictSame(failures.slice(0, 10), [], `every column named alike (${failures.length} differences)`)
  t.ok(compared > CASES * 0.5, `most statements ran (${compared} of ${CASES})`)
  t.ok(renamed > 10, `many names hold the client's own spacing (${renamed})`)
})

/**
 * MariaDB starts the name of an item after a comma at the comment before it, if any (`, /* c *\/ a+1`
 * is named `/* c *\/ a+1`); MySQL and TiDB at the item's first token, as the gateway does.
 */
function withoutLeadingComments (name: string): string {
  return name.replace(/^(\/\*[\s\S]*?\*\/\s*|--[^\n]*\n\s*)+/, '')
}

/** A repeated name is suffixed in `columns` (`id`, `id_2`): compared elsewhere (test/plugins/app/query/values.test.ts). */
function repeated (names: string[]): boolean {
  return new Set(names).size < names.length
}

t.test('names as written: in the answer, an object row\'s keys, exports (the CSV header, NDJSON keys), WITH, UNION and VALUES; a comment inside an item keeps the rebuilt name', async (t) => {
  const db = await createDatabase(t, TABLE)
  const app = await build(t)
  const base = await listen(app)
  const sessionId = await selectedSession(app, db)
  const ask = async (query: string, params?: unknown[]) => {
    const res = await post(app, '/api/query', { query, session_id: sessionId, ...(params === undefined ? {} : { params }) })
    t.equal(res.statusCode, 200, `${query}: ${res.statusCode === 200 ? 'answered' : res.body}`)
    return res.json() as { columns: Array<{ name: string }>, rows: Array<Record<string, unknown>> }
  }
  const names = async (query: string, params?: unknown[]) => (await ask(query, params)).columns.map((column) => column.name)

  t.strictSame(await names('SELECT price*qty, -1, @v, @@sql_mode IS NOT NULL, x\'41\', SUM(qty)/2 FROM t'),
    ['price*qty', '-1', '@v', '@@sql_mode IS NOT NULL', "x'41'", 'SUM(qty)/2'])
  t.strictSame(Object.keys((await ask('SELECT price*qty, a  +  1 FROM t')).rows[0]!), ['price*qty', 'a  +  1'], 'object rows are keyed so')
  t.strictSame(await names('SELECT *, a+1 FROM t'), ['a', 'price', 'qty', 'j', 'a+1'], 'after a star, items line up from the end')
  t.strictSame(await names('SELECT a+?, ?*2 FROM t', [1, 2]), ['a+?', '?*2'], 'prepared')
  t.strictSame(await names('WITH c AS (SELECT 1 AS one) SELECT one+1 FROM c'), ['one+1'])
  t.strictSame(await names('(SELECT a+1 FROM t) UNION ALL (SELECT 5)'), ['a+1'], 'a UNION is named by its first SELECT')
  t.strictSame(await names('SELECT a+1 AS total, qty*2 q, \\N, "d" FROM t'), ['total', 'q', 'NULL', 'd'], 'aliases, \\N and strings as the server names them')
  t.strictSame(await names('VALUES (1+1, x\'41\', -1), (2, \'b\', 3)'), ['1+1', "x'41'", '-1'], 'VALUES: its first row names the columns')
  t.strictSame(await names('WITH c AS (SELECT a+1, qty*2 q FROM t) SELECT * FROM c'), ['a+1', 'q'], 'a star over a CTE: its list names the columns')
  t.strictSame(await names('SELECT d.* FROM (SELECT price*qty FROM t) AS d ORDER BY 1'), ['price*qty'], 'and over a derived table')
  t.strictSame(await names('SELECT * FROM (SELECT price*qty FROM t) AS d JOIN t AS u'), ['price * qty', 'a', 'price', 'qty', 'j'], 'with a join, the rebuilt name')
  t.strictSame(await names('SELECT 1 /* c */ + 1'), ['1 + 1'], 'a comment inside an item: the server receives none, and names it after the text it received')

  const sql = 'SELECT price*qty, a+1 FROM t'
  const csv = await download(base, '/api/query/export', { query: sql, session_id: sessionId, format: 'csv' })
  t.strictSame(parseCsv(csv.body.toString('utf8'))[0], ['price*qty', 'a+1'], 'the CSV header')
  const ndjson = await download(base, '/api/query/export', { query: sql, session_id: sessionId, format: 'ndjson' })
  t.strictSame(Object.keys(JSON.parse(ndjson.body.toString('utf8').split('\n')[0]!)), ['price*qty', 'a+1'], 'NDJSON keys')
})

t.test('integer-like names (a pivot\'s years) keep their place in an object row\'s text, as in an export', async (t) => {
  const db = await createDatabase(t, "CREATE TABLE s (region VARCHAR(8), y INT, v INT); INSERT INTO s VALUES ('north', 2023, 1), ('north', 2024, 2), ('south', 2024, 5)")
  const app = await build(t)
  const base = await listen(app)
  const sessionId = await selectedSession(app, db)
  const sql = 'SELECT region, SUM(IF(y = 2024, v, 0)) AS `2024`, SUM(IF(y = 2023, v, 0)) AS `2023`, COUNT(*) AS `0` FROM s GROUP BY region ORDER BY region'
  const res = await post(app, '/api/query', { query: sql, session_id: sessionId })
  t.equal(res.statusCode, 200, res.body)
  const rowsText = res.body.slice(res.body.indexOf('"rows":') + 7, res.body.indexOf(',"row_count"'))
  t.equal(rowsText, '[{"region":"north","2024":"2","2023":"1","0":"2"},{"region":"south","2024":"5","2023":"0","0":"1"}]', 'the select list\'s order')
  const ndjson = await download(base, '/api/query/export', { query: sql, session_id: sessionId, format: 'ndjson' })
  t.equal(ndjson.body.toString('utf8').split('\n')[0], '{"region":"north","2024":"2","2023":"1","0":"2"}', 'the export\'s, the same')
})

t.test('what a write creates keeps the rebuilt text: a view names an unaliased expression\'s column after it (as docs/read-only.md says)', async (t) => {
  const db = await createDatabase(t, TABLE)
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const sessionId = await selectedSession(app, db)
  const created = await post(app, '/api/query', { query: 'CREATE VIEW v AS SELECT price*qty, qty+1 AS q FROM t', session_id: sessionId })
  t.equal(created.statusCode, 200, created.body)
  const res = await post(app, '/api/query', { query: 'SELECT * FROM v', session_id: sessionId })
  t.strictSame(res.json().columns.map((column: { name: string }) => column.name), ['price * qty', 'q'])
})
