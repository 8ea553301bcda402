import t from 'tap'
import { adminConnection, build, createDatabase, csvField, download, listen, parseCsv, post, selectedSession } from '../../../helper.js'

/**
 * An export's values are `/api/query`'s, in every format, over both protocols (a statement with
 * params is a prepared statement): a table of every type, with generated text (commas, quotes,
 * CR, LF, control characters, emoji, NULL and the empty string) and generated doubles, exported
 * and compared row by row with the same rows as /api/query answers them.
 */
const ALPHABET = ['a', 'Z', '0', ' ', ',', '"', '""', '\r', '\n', '\r\n', '\t', '\u0001', '\u001f', '\\', 'é', '€', '中', '\u{1f600}', "'", ';', '\u2028']

function randomText (): string | null {
  const roll = Math.random()
  if (roll < 0.08) return null
  if (roll < 0.16) return ''
  let text = ''
  for (let i = Math.floor(Math.random() * 12); i >= 0; i--) text += ALPHABET[Math.floor(Math.random() * ALPHABET.length)]
  return text
}

function randomDouble (): number {
  const digits = Math.random() < 0.3 ? Number(Math.random().toPrecision(17)) : Math.random()
  return (Math.random() < 0.5 ? -1 : 1) * digits * 10 ** Math.floor(Math.random() * 40 - 15)
}

const TABLE = `CREATE TABLE v (
  id INT PRIMARY KEY, ti TINYINT, si SMALLINT, mi MEDIUMINT, i INT, zf INT(5) ZEROFILL, bi BIGINT, ubi BIGINT UNSIGNED,
  de DECIMAL(30,10), f FLOAT, d DOUBLE, dt DATE, dtt DATETIME(3), ts TIMESTAMP(6) NULL, tm TIME(2), y YEAR,
  c CHAR(10), vc VARCHAR(200), tx TEXT, en ENUM('a','b,c'), st SET('x','y'), bn BINARY(3), vb VARBINARY(20), bl BLOB,
  bt BIT(10), js JSON, g GEOMETRY NULL, id2 INT
)`

const ROWS = 300

t.test('every type, generated text and doubles: CSV, NDJSON and JSON hold /api/query\'s values, with and without params', async (t) => {
  const app = await build(t, { env: { QUERY_MAX_ROWS_LIMIT: '10000' } })
  const base = await listen(app)
  const db = await createDatabase(t, TABLE)
  const admin = await adminConnection(t)
  await admin.query(`USE \`${db}\``)
  await admin.query(`INSERT INTO v VALUES (0, -128, -32768, -8388608, -2147483648, 42, 9007199254740993, 18446744073709551615,
    -12345678901234567890.0123456789, 0.1, 1e308, '2024-02-29', '2024-01-01 10:00:00.125', '2038-01-19 03:14:07.999999', '-838:59:59.99', 2155,
    'x', '', 'plain', 'b,c', 'x,y', x'00ff10', x'', x'deadbeef', b'1010101010', '{"n": 12345678901234567890, "s": "é"}', ST_GeomFromText('POINT(1 2)'), 0)`)
  for (let id = 1; id <= ROWS; id++) {
    await admin.query('INSERT INTO v (id, d, f, c, vc, tx, js, id2) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [id, randomDouble(), Math.random() * 1000, randomText()?.slice(0, 10) ?? null, randomText(), randomText(), JSON.stringify({ t: randomText() }), id])
  }
  const sessionId = await selectedSession(app, db)
  const query = 'SELECT v.*, id AS id FROM v WHERE id >= ? ORDER BY id'
  for (const params of [[], [0]]) {
    const sql = params.length === 0 ? query.replace('?', '0') : query
    const via = params.length === 0 ? 'text protocol' : 'prepared statement'
    const body = { query: sql, params, session_id: sessionId }
    // The same statement as /api/query answers it (a FLOAT differs between the protocols there too).
    const api = await post(app, '/api/query', { ...body, max_rows: 10000 })
    t.equal(api.statusCode, 200, api.body.slice(0, 500))
    const expected = api.json().rows as Array<Record<string, unknown>>
    const keys = (api.json().columns as Array<{ name: string }>).map((column) => column.name)
    t.equal(expected.length, ROWS + 1)
    t.ok(keys.includes('id_2'), 'a repeated column name is suffixed as /api/query suffixes it')

    const ndjson = await download(base, '/api/query/export', { ...body, format: 'ndjson' })
    t.equal(ndjson.status, 200)
    const lines = ndjson.body.toString('utf8').split('\n')
    t.equal(lines.pop(), '', `${via}: NDJSON ends with a newline`)
    t.strictSame(lines.map((line) => JSON.parse(line)), expected, `${via}: NDJSON rows are /api/query's`)
    // Byte for byte too: JSON.stringify of /api/query's row (the JSON column aside, which keeps the database's text).
    const mismatch = lines.findIndex((line, i) => line.replace(/,"js":(null|\{"t": ?(null|"([^"\\]|\\.)*")\}|\{"n": 12345678901234567890, "s": "é"\})/, '') !== JSON.stringify({ ...expected[i], js: undefined }))
    t.equal(mismatch, -1, `${via}: NDJSON text is JSON.stringify's${mismatch === -1 ? '' : `: ${lines[mismatch]}`}`)

    const json = await download(base, '/api/query/export', { ...body, format: 'json' })
    t.strictSame(JSON.parse(json.body.toString('utf8')), expected, `${via}: a JSON array of /api/query's rows`)

    const csv = await download(base, '/api/query/export', { ...body, format: 'csv' })
    t.equal(csv.headers['content-type'], 'text/csv; charset=utf-8')
    const records = parseCsv(csv.body.toString('utf8'))
    t.strictSame(records[0], keys, `${via}: a header row of the column names`)
    const wrong = records.slice(1).findIndex((record, i) => record.some((field, j) => {
      const value = expected[i]![keys[j]!]
      return keys[j] === 'js' && value !== null
        ? JSON.stringify(JSON.parse(field.startsWith('\u0000') ? field.slice(1) : field)) !== JSON.stringify(value)
        : field !== csvField(value)
    }))
    t.equal(wrong, -1, `${via}: every CSV field is /api/query's value, quoted exactly when it must be${wrong === -1 ? '' : `: row ${wrong} ${JSON.stringify(records[wrong + 1])}`}`)
    t.equal(records.length, ROWS + 2)
  }
})

t.test('NULL and the empty string differ in CSV; a field with CR, LF, a comma or a quote is quoted', async (t) => {
  const app = await build(t)
  const base = await listen(app)
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const csv = await download(base, '/api/query/export', {
    query: "SELECT NULL AS a, '' AS b, 'x,y' AS c, 'say \"hi\"' AS d, CONCAT('1', CHAR(13 USING utf8mb4), CHAR(10 USING utf8mb4), '2') AS e, 'plain' AS f",
    session_id: sessionId,
    format: 'csv'
  })
  t.equal(csv.body.toString('utf8'), 'a,b,c,d,e,f\r\n,"","x,y","say ""hi""","1\r\n2",plain\r\n')
})
