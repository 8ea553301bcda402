import t from 'tap'
import { historyEntryJson, PIECE_CHARS, queryReplyJson, queryReplyPieces } from '../../../../plugins/app/query/query-json.js'
import type { QueryReply } from '../../../../schemas/query.js'
import { JsonText } from '../../../../plugins/app/query/values.js'
import { cutLongText, LongText } from '../../../../plugins/app/query/long-values.js'
import { QueryHistoryEntrySchema, QueryReplySchema, type QueryHistoryEntry } from '../../../../schemas/query.js'

/** What the text must be: `JSON.stringify` of the fields in the schema's order, absent ones left out. */
function reference (value: Record<string, unknown>, keys: string[]): string {
  const ordered: Record<string, unknown> = {}
  for (const key of keys) if (value[key] !== undefined) ordered[key] = value[key]
  return JSON.stringify(ordered)
}
const replyKeys = Object.keys(QueryReplySchema.properties)
const entryKeys = Object.keys(QueryHistoryEntrySchema.properties)

// Strings a database or a client can hand over: quotes, backslashes, control characters, line
// separators, non-Latin text, emoji, a lone surrogate, and a long one.
/** A string named in a test message: escaped to printable ASCII (TAP reads its output line by line). */
const label = (text: string): string => JSON.stringify(text).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

const awkward = ['', 'plain', 'say "hi"', 'back\\slash', 'tab\tnew\nline\r', '\u0000\u001f', '\u2028\u2029', 'naïve ünïcode', '日本語', '😀', 'lone \ud800 half', 'x'.repeat(65), `${'y'.repeat(70)}"`]

function reply (overrides: Partial<QueryReply> = {}): QueryReply {
  return {
    success: true,
    query_id: '7d9f1c2e-5b1a-4c3d-9e8f-0a1b2c3d4e5f',
    session_id: 'session_1757773211072_s4xhkug2tQ0dXk3mB1vZp9Aa',
    database_name: 'sales_db',
    columns: [{ name: 'id', type: 'BIGINT', nullable: false }, { name: 'total', type: 'DECIMAL', nullable: true }],
    rows: [{ id: '9007199254740993', total: '19.90' }],
    row_count: 1,
    truncated: false,
    execution_time_ms: 1.234,
    ...overrides
  }
}

t.test('queryReplyJson: the schema fields in its order, as JSON.stringify writes them', async (t) => {
  const cases: Array<[string, QueryReply]> = [
    ['one object row', reply()],
    ['no rows, no columns', reply({ columns: [], rows: [], row_count: 0 })],
    ['array rows', reply({ rows: [['1', null], ['2', { json: [1, 'two', null] }]], row_count: 2 })],
    ['truncated, with affected_rows', reply({ truncated: true, affected_rows: 3, execution_time_ms: 0 })],
    ['with affected_rows and insert_id', reply({ rows: [], row_count: 0, affected_rows: 2, insert_id: '18446744073709551615' })],
    ['with warnings', reply({ warnings: [{ level: 'Warning', code: 1292, message: "Truncated incorrect DOUBLE value: 'a\"b'" }] })],
    ['a column without nullable', reply({ columns: [{ name: 'n', type: 'INT' }] })],
    ['with more_results', reply({
      more_results: [
        { columns: [{ name: 'b', type: 'VARCHAR', nullable: true }], rows: [{ b: 'x' }, { b: null }], row_count: 2, truncated: false },
        { columns: [{ name: 'c', type: 'INT' }], rows: [[1]], row_count: 1, truncated: true },
        { columns: [], rows: [], row_count: 0, truncated: false }
      ],
      affected_rows: 0
    })],
    ['a large result', reply({ rows: Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `item ${i}`, at: null })), row_count: 2000 })]
  ]
  for (const text of awkward) {
    cases.push([`awkward names and values ${label(text)}`, reply({
      database_name: text,
      columns: [{ name: text, type: text, nullable: true }],
      rows: [{ [text]: text }, [text]]
    })])
  }
  for (const [name, value] of cases) {
    const json = queryReplyJson(value)
    t.equal(json, reference(value as unknown as Record<string, unknown>, replyKeys), name)
    t.same(JSON.parse(json), value, `${name}: parses back to the answer`)
  }
})

t.test('queryReplyJson: JSON values are written as their text; everything else as JSON.stringify writes it', async (t) => {
  const doc = '{"id": 9007199254740993, "n": [1.10, null]}'
  const columns = [{ name: 'k', type: 'VARCHAR' }, { name: 'doc', type: 'JSON', nullable: true }]
  const awkwardKeys = Object.fromEntries(awkward.map((text) => [text, text]))
  const cases: Array<[string, QueryReply['rows'], string]> = [
    ['object rows', [{ k: 'a', doc: new JsonText(doc, JSON.parse(doc)) }, { k: null, doc: null }], `[{"k":"a","doc":${doc}},{"k":null,"doc":null}]`],
    ['array rows', [['a', new JsonText('[18446744073709551615]', [0])], []], '[["a",[18446744073709551615]],[]]'],
    ['text that did not parse stays a string', [{ doc: 'not json' }], '[{"doc":"not json"}]'],
    ['awkward names and values', [awkwardKeys], JSON.stringify([awkwardKeys])]
  ]
  for (const [name, rows, expected] of cases) {
    const json = queryReplyJson(reply({ columns, rows, row_count: rows.length }))
    t.match(json, `,"rows":${expected},"row_count":`, name)
    t.doesNotThrow(() => JSON.parse(json), `${name}: the answer parses`)
  }
  const more = queryReplyJson(reply({ more_results: [{ columns, rows: [{ k: 'b', doc: new JsonText(doc, JSON.parse(doc)) }], row_count: 1, truncated: false }] }))
  t.match(more, `"more_results":[{"columns":[{"name":"k","type":"VARCHAR"},{"name":"doc","type":"JSON","nullable":true}],"rows":[{"k":"b","doc":${doc}}],"row_count":1,"truncated":false}]`, 'in a later result set too')
  t.equal(JSON.stringify({ doc: new JsonText(doc, { id: 1 }) }), '{"doc":{"id":1}}', 'JSON.stringify (MCP) writes the parsed value')
})

t.test('object rows keep the columns\' order in the text, integer-like names included (a pivot\'s years), which JavaScript would enumerate first', async (t) => {
  const columns = [{ name: 'region', type: 'VARCHAR' }, { name: '2024', type: 'BIGINT' }, { name: '2023', type: 'BIGINT' }, { name: '0', type: 'INT' },
    { name: '4294967295', type: 'INT' }, { name: '01', type: 'INT' }, { name: 'doc', type: 'JSON' }]
  const row = (region: string, doc: JsonText | null) => ({ region, 2024: '20', 2023: '10', 0: 0, 4294967295: 1, '01': 2, doc })
  const ordered = (region: string, doc: string) => `{"region":"${region}","2024":"20","2023":"10","0":0,"4294967295":1,"01":2,"doc":${doc}}`
  t.equal(Object.keys(row('n', null))[0], '0', 'the object itself enumerates them first')
  const plain = reply({ columns: columns.slice(0, 6), rows: [row('north', null), row('south', null)].map(({ doc, ...rest }) => rest), row_count: 2 })
  const text = queryReplyJson(plain)
  t.match(text, `"rows":[${ordered('north', 'null').replace(',"doc":null', '')},${ordered('south', 'null').replace(',"doc":null', '')}],`)
  t.same(JSON.parse(text), plain, 'and parses back to the answer')
  const withJson = queryReplyJson(reply({ columns, rows: [row('east', new JsonText('[1.10]', [1.1]))], row_count: 1 }))
  t.match(withJson, `"rows":[${ordered('east', '[1.10]')}],`, 'with a JSON column')
  const more = queryReplyJson(reply({ more_results: [{ columns: columns.slice(0, 3), rows: [{ region: 'w', 2024: '2', 2023: '1' }], row_count: 1, truncated: false }] }))
  t.match(more, '"rows":[{"region":"w","2024":"2","2023":"1"}]', 'in a later result set')
  const long = 'x'.repeat(PIECE_CHARS + 5)
  const longReply = reply({ columns: columns.slice(0, 3), rows: [{ region: long, 2024: '2', 2023: '1' }], row_count: 1 })
  const pieces = [...queryReplyPieces(longReply)].join('')
  t.equal(pieces, queryReplyJson(longReply), 'in pieces, a long value among them')
  t.match(pieces, `"rows":[{"region":"${long}","2024":"2","2023":"1"}]`)
  const arrays = reply({ columns: columns.slice(0, 3), rows: [['n', '2', '1']], row_count: 1 })
  t.match(queryReplyJson(arrays), '"rows":[["n","2","1"]]', 'array rows are in order already')
})

t.test('queryReplyJson: a lone surrogate is escaped, not written as a broken character', async (t) => {
  const json = queryReplyJson(reply({ database_name: 'a\ud800b' }))
  t.match(json, /"database_name":"a\\ud800b"/)
})

t.test('historyEntryJson: the entry as JSON.stringify writes it', async (t) => {
  const base: QueryHistoryEntry = {
    query_id: '7d9f1c2e-5b1a-4c3d-9e8f-0a1b2c3d4e5f',
    query: 'SELECT id, total FROM orders LIMIT 10',
    executed_at: '2026-11-24T10:15:30.123Z',
    status: 'ok',
    error_code: null,
    row_count: 10,
    execution_time_ms: 1.234
  }
  const cases: QueryHistoryEntry[] = [
    base,
    { ...base, status: 'error', error_code: 'read_only_violation', row_count: 0, execution_time_ms: 0 },
    { ...base, truncated: true, format: 'csv' },
    { ...base, truncated: false, format: 'ndjson' },
    // A statement the history cut: the mark follows the query, as the schema orders it.
    { query_id: base.query_id, query: 'SELECT id, tot', query_truncated: true, executed_at: base.executed_at, status: 'ok', error_code: null, row_count: 10, execution_time_ms: 1.234 },
    ...awkward.map((text) => ({ ...base, query: text, error_code: text, status: 'error' as const }))
  ]
  for (const entry of cases) {
    const json = historyEntryJson(entry)
    t.equal(json, reference(entry as unknown as Record<string, unknown>, Object.keys(entry)), label(entry.query))
    t.same(JSON.parse(json), entry, `${label(entry.query)}: parses back to the entry`)
  }
  t.same(entryKeys.sort(), [...Object.keys(base), 'query_truncated', 'truncated', 'format'].sort(), 'the test covers every field of the schema')
})

t.test('queryReplyPieces: pieces that together are queryReplyJson, long strings split between pieces, never inside a surrogate pair, a long text cut from its bytes a piece of its own', async (t) => {
  // Long strings of characters JSON escapes or writes in several bytes, and pairs placed so that
  // a piece boundary falls between their halves.
  const long = (length: number, unit: string) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length)
  const aroundBoundary = 'x'.repeat(PIECE_CHARS - 1) + '\u{1f600}' + 'y'.repeat(PIECE_CHARS)
  const values = [long(PIECE_CHARS * 3 + 7, '\u0001'), long(PIECE_CHARS + 1, 'a"b\\c'), aroundBoundary, long(PIECE_CHARS * 2, '\u{1f600}'), 'x'.repeat(PIECE_CHARS) + '\ud800', 'short']
  const cases: Array<[string, QueryReply]> = [
    ['array rows with long strings', reply({ columns: [{ name: 'v', type: 'LONGTEXT' }, { name: 'n', type: 'INT' }], rows: values.map((value, i) => [value, i]), row_count: values.length })],
    ['object rows with long strings', reply({ columns: [{ name: 'v', type: 'LONGTEXT' }, { name: 'n', type: 'INT' }], rows: values.map((value, i) => ({ v: value, n: i })), row_count: values.length, truncated: true, truncated_values: 1, truncated_columns: ['v'] })],
    ['JSON columns next to a long string', reply({ columns: [{ name: 'j', type: 'JSON' }, { name: 'v', type: 'LONGTEXT' }], rows: [[new JsonText('{"a":12345678901234567890}', null), values[0]], { j: new JsonText('[1]', null), v: values[2] }], row_count: 2 })],
    ['a long text cut from its bytes', reply({ columns: [{ name: 'v', type: 'LONGTEXT' }, { name: 'w', type: 'LONGTEXT' }], rows: [{ v: cutLongText(Buffer.from(long(PIECE_CHARS * 2, 'a"é\u0001')), 100_000), w: cutLongText(Buffer.alloc(10), 2) }], row_count: 1, truncated: true, truncated_values: 2, truncated_columns: ['v', 'w'] })],
    ['many short rows', reply({ rows: Array.from({ length: 20000 }, (_, i) => ({ id: i, name: `item ${i} "quoted"` })), row_count: 20000 })],
    ['one small answer', reply()]
  ]
  for (const [name, value] of cases) {
    // A long text's piece is its bytes, which the answer's writer escapes: here, the text they stand for.
    const pieces = [...queryReplyPieces(value)].map((piece) => piece instanceof LongText ? JSON.stringify(piece).slice(1, -1) : piece)
    t.equal(pieces.join(''), queryReplyJson(value), `${name}: the same text`)
    t.ok(pieces.every((piece) => piece.length < PIECE_CHARS * 6 + 4096), `${name}: ${pieces.length} pieces, none much past a piece's size`)
    for (const piece of pieces) {
      if (/[\ud800-\udbff]$/.test(piece) || /^[\udc00-\udfff]/.test(piece)) t.fail(`${name}: a piece ends or starts inside a surrogate pair`)
    }
  }
  t.equal([...queryReplyPieces(reply())].length, 1, 'a small answer is one piece')
})
