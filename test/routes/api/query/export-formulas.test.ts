import t from 'tap'
import { adminConnection, build, createDatabase, download, listen, parseCsv, post, selectedSession } from '../../../helper.js'

/**
 * `escape_formulas`: a CSV export whose fields a spreadsheet would run as formulas gets a leading
 * apostrophe on exactly those fields, and on nothing else. Checked against generated values of
 * every kind a CSV field comes from (text, binary as base64, JSON, numbers, negative TIMEs, column
 * names), over both protocols, with this test's own reading of what a spreadsheet runs.
 */

/**
 * What Excel, LibreOffice and Google Sheets read as a formula, some after trimming the blanks
 * before it, and what OWASP counts with them (a leading tab or CR): this test's own oracle.
 */
function runs (field: string): boolean {
  if (/^[\t\r]/.test(field)) return true
  const trimmed = field.replace(/^[ \n]+/, '')
  if (!/^[=+\-@]/.test(trimmed)) return false
  return !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(trimmed) && !/^-\d+:\d\d:\d\d(\.\d+)?$/.test(trimmed)
}

const PIECES = ['=', '+', '-', '@', '\t', '\r', '\n', '1', '2', '.', 'e', 'E', ':', 'A1', '(', ')', '"', ',', "'", ' ', 'HYPERLINK', 'é', '中']

function randomText (): string {
  let text = ''
  for (let i = 1 + Math.floor(Math.random() * 8); i > 0; i--) text += PIECES[Math.floor(Math.random() * PIECES.length)]
  return text
}

/** Bytes whose base64 starts with `+` (a first byte of 0xf8 to 0xfb) or anything else. */
function randomBytes (): Buffer {
  const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(Math.random() * 6) }, () => Math.floor(Math.random() * 256)))
  if (Math.random() < 0.4) bytes[0] = 0xf8 + Math.floor(Math.random() * 4)
  return bytes
}

const unquoted = (field: string) => field.startsWith('\u0000') ? field.slice(1) : field

const ROWS = 400

t.test('generated values: exactly the fields a spreadsheet would run get an apostrophe, over both protocols', async (t) => {
  const app = await build(t)
  const base = await listen(app)
  const db = await createDatabase(t, `CREATE TABLE f (id INT PRIMARY KEY, vc VARCHAR(100), tx TEXT, vb VARBINARY(10),
    js JSON, de DECIMAL(10,3), d DOUBLE, tm TIME(1), n VARCHAR(20))`)
  const admin = await adminConnection(t)
  await admin.query(`USE \`${db}\``)
  for (let id = 1; id <= ROWS; id++) {
    const number = (Math.random() < 0.5 ? '-' : Math.random() < 0.5 ? '+' : '') + String(Math.round(Math.random() * 1e6) / 100)
    await admin.query('INSERT INTO f VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [id, randomText(), randomText(), randomBytes(),
      JSON.stringify(Math.random() < 0.5 ? randomText() : -Math.random()), -Math.random() * 1000, -Math.random() * 1e10,
      `-${Math.floor(Math.random() * 838)}:30:00.5`, number])
  }
  const sessionId = await selectedSession(app, db)
  const query = 'SELECT f.*, vc AS `=HYPERLINK("x")`, id AS `-id`, n AS `+1` FROM f WHERE id >= ? ORDER BY id'
  let dangerous = 0
  for (const params of [[], [0]]) {
    const via = params.length === 0 ? 'text protocol' : 'prepared statement'
    const body = { query: params.length === 0 ? query.replace('?', '0') : query, params, session_id: sessionId, format: 'csv' }
    const plain = parseCsv((await download(base, '/api/query/export', body)).body.toString('utf8'))
    const safe = await download(base, '/api/query/export', { ...body, escape_formulas: true })
    t.equal(safe.status, 200)
    const guarded = parseCsv(safe.body.toString('utf8'))
    t.equal(guarded.length, ROWS + 1, `${via}: every row`)
    const wrong: string[] = []
    guarded.forEach((record, i) => record.forEach((field, j) => {
      const was = unquoted(plain[i]![j]!)
      const is = unquoted(field)
      if (runs(was)) dangerous++
      if (is !== (runs(was) ? `'${was}` : was)) wrong.push(`row ${i} column ${j}: ${JSON.stringify(was)} became ${JSON.stringify(is)}`)
      if (runs(is)) wrong.push(`row ${i} column ${j}: ${JSON.stringify(is)} would run`)
    }))
    t.strictSame(wrong.slice(0, 5), [], `${via}: a field that would run has an apostrophe more, every other field is as it was`)
    t.strictSame(guarded[0]!.slice(-3).map(unquoted), ['\'=HYPERLINK("x")', "'-id", '+1'], `${via}: column names too; a plain number stays`)
  }
  t.ok(dangerous > ROWS, `the generated values held fields a spreadsheet would run (${dangerous})`)
})

t.test('the fields as written, in quotes where CSV needs them; NDJSON and the default CSV keep the values', async (t) => {
  const app = await build(t)
  const base = await listen(app)
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const query = "SELECT '=1+1' AS a, '-5' AS b, '-5-5' AS c, '@SUM(A1)' AS d, CONCAT(CHAR(9 USING utf8mb4), '=x') AS e, " +
    "'=a,\"b\"' AS f, 'a=1' AS g, '' AS h, NULL AS i, -1.5 AS j, CAST('-10:00:00' AS TIME) AS k, x'f8' AS l, '  @x' AS m, ' -5' AS n"
  const csv = await download(base, '/api/query/export', { query, session_id: sessionId, format: 'csv', escape_formulas: true })
  t.equal(csv.body.toString('utf8'), 'a,b,c,d,e,f,g,h,i,j,k,l,m,n\r\n\'=1+1,-5,\'-5-5,\'@SUM(A1),\'\t=x,"\'=a,""b""",a=1,"",,-1.5,-10:00:00,\'+A==,\'  @x, -5\r\n')

  const exact = await download(base, '/api/query/export', { query, session_id: sessionId, format: 'csv' })
  t.match(exact.body.toString('utf8'), /\r\n=1\+1,-5,-5-5,@SUM\(A1\),/, 'without it, CSV holds the values exactly')
  const ndjson = await download(base, '/api/query/export', { query, session_id: sessionId, format: 'ndjson', escape_formulas: true })
  t.equal(JSON.parse(ndjson.body.toString('utf8')).a, '=1+1', 'NDJSON is unaffected')

  const wrongType = await post(app, '/api/query/export', { query, session_id: sessionId, format: 'csv', escape_formulas: 'yes' })
  t.equal(wrongType.statusCode, 400)
  t.equal(wrongType.json().code, 'validation_error')
})
