import t from 'tap'
import { build, createDatabase, post, selectedSession } from '../../../helper.js'

t.test('every value type comes back exactly, with its type name', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, `
    CREATE TABLE v (
      ti TINYINT, si SMALLINT, mi MEDIUMINT, i INT, bi BIGINT, ubi BIGINT UNSIGNED,
      dec1 DECIMAL(65,30), f FLOAT, d DOUBLE,
      dt DATE, dtm DATETIME(6), ts TIMESTAMP(3) NULL, tm TIME(3), y YEAR,
      c CHAR(3), vc VARCHAR(50), tx TEXT, e ENUM('a','b'), s SET('x','y'),
      j JSON, bin BINARY(3), vb VARBINARY(10), bl BLOB, b8 BIT(8), b64 BIT(64), nul INT
    );
    INSERT INTO v VALUES (
      -128, 32767, 8388607, -2147483648, -9223372036854775808, 18446744073709551615,
      '12345678901234567890123456789012345.123456789012345678901234567890', 1.5, 0.1,
      '2024-02-29', '1999-12-31 23:59:59.123456', '2038-01-19 03:14:07.999', '-838:59:59.000', 2155,
      'abc', 'héllo ☃ 😀', 'long text', 'b', 'x,y',
      '{"a": [1, 2.5, "x"], "big": 12345678901234567890}', X'000102', X'ff00', X'deadbeef', b'10000001', b'1111111111111111111111111111111111111111111111111111111111111111', NULL
    )`)
  const sessionId = await selectedSession(app, db)
  const res = await post(app, '/api/query', { query: 'SELECT * FROM v', session_id: sessionId })
  t.equal(res.statusCode, 200)
  const row = res.json().rows[0]
  t.strictSame(row, {
    ti: -128,
    si: 32767,
    mi: 8388607,
    i: -2147483648,
    bi: '-9223372036854775808',
    ubi: '18446744073709551615',
    dec1: '12345678901234567890123456789012345.123456789012345678901234567890',
    f: 1.5,
    d: 0.1,
    dt: '2024-02-29',
    dtm: '1999-12-31 23:59:59.123456',
    ts: '2038-01-19 03:14:07.999',
    tm: '-838:59:59.000',
    y: 2155,
    c: 'abc',
    vc: 'héllo ☃ 😀',
    tx: 'long text',
    e: 'b',
    s: 'x,y',
    j: { a: [1, 2.5, 'x'], big: 12345678901234567000 }, // as JSON.parse reads the answer; its text is exact (below)
    bin: Buffer.from([0, 1, 2]).toString('base64'),
    vb: Buffer.from([0xff, 0]).toString('base64'),
    bl: Buffer.from('deadbeef', 'hex').toString('base64'),
    b8: '129',
    b64: '18446744073709551615',
    nul: null
  })
  t.match(res.body, '"j":{"a": [1, 2.5, "x"], "big": 12345678901234567890}', "the JSON value's text as stored: every digit")
  // A statement with params comes back over the binary protocol, which mysql2 decodes its own way.
  const prepared = await post(app, '/api/query', { query: 'SELECT * FROM v WHERE ? = 1', params: [1], session_id: sessionId })
  const rowsText = (body: string) => body.slice(body.indexOf('"rows":'), body.indexOf(',"row_count"'))
  t.equal(rowsText(prepared.body), rowsText(res.body), 'with params, the same rows, written the same')
  t.strictSame(prepared.json().columns, res.json().columns)
  const types = Object.fromEntries(res.json().columns.map((c: { name: string, type: string }) => [c.name, c.type]))
  t.strictSame(types, {
    ti: 'TINYINT',
    si: 'SMALLINT',
    mi: 'MEDIUMINT',
    i: 'INT',
    bi: 'BIGINT',
    ubi: 'BIGINT',
    dec1: 'DECIMAL',
    f: 'FLOAT',
    d: 'DOUBLE',
    dt: 'DATE',
    dtm: 'DATETIME',
    ts: 'TIMESTAMP',
    tm: 'TIME',
    y: 'YEAR',
    c: 'CHAR',
    vc: 'VARCHAR',
    tx: 'TEXT',
    e: 'ENUM',
    s: 'SET',
    j: 'JSON',
    bin: 'BINARY',
    vb: 'VARBINARY',
    bl: 'BLOB',
    b8: 'BIT',
    b64: 'BIT',
    nul: 'INT'
  })
  t.equal(res.json().columns.find((c: { name: string }) => c.name === 'nul').nullable, true)
})

t.test('a wide result (read without a compiled row parser) answers exactly what a narrow one does', async (t) => {
  // Past WIDE_RESULT_COLUMNS columns mysql2's interpreting parser reads the rows: every kind of value,
  // both protocols and both row formats must come out the same.
  const app = await build(t)
  const db = await createDatabase(t, `
    CREATE TABLE v (bi BIGINT UNSIGNED, dec1 DECIMAL(20,5), f FLOAT, dtm DATETIME(3), tm TIME(2), vc VARCHAR(20),
      j JSON, vb VARBINARY(4), b8 BIT(8), g GEOMETRY, \`__proto__\` INT, nul INT);
    INSERT INTO v VALUES (18446744073709551615, '-123.45000', 0.3, '2024-02-29 12:00:00.125', '-01:02:03.50', 'héllo ☃',
      '{"n": 9007199254740993}', X'00ff', b'10000001', ST_GeomFromText('POINT(1.5 -2)'), 7, NULL)`)
  const sessionId = await selectedSession(app, db)
  const columns = ['bi', 'dec1', 'f', 'dtm', 'tm', 'vc', 'j', 'vb', 'b8', 'g', '`__proto__`', 'nul']
  const narrow = `SELECT ${columns.join(', ')} FROM v`
  const wide = `SELECT ${Array.from({ length: 8 }, () => columns.join(', ')).join(', ')} FROM v` // 96 columns
  const rowsText = (body: string): string => body.slice(body.indexOf('"rows":'), body.indexOf(',"row_count"'))
  for (const params of [undefined, []]) {
    for (const rowFormat of ['object', 'array']) {
      const label = `${rowFormat} rows, ${params === undefined ? 'text' : 'binary'} protocol`
      const one = await post(app, '/api/query', { query: narrow, params, row_format: rowFormat, session_id: sessionId })
      const many = await post(app, '/api/query', { query: wide, params, row_format: rowFormat, session_id: sessionId })
      t.equal(many.statusCode, 200, many.body.slice(0, 300))
      t.equal(many.json().columns.length, 96)
      t.strictSame(many.json().columns.slice(0, 12).map((c: { type: string }) => c.type), one.json().columns.map((c: { type: string }) => c.type), `${label}: the same types`)
      if (rowFormat === 'array') {
        t.equal(rowsText(many.body), `"rows":[[${Array.from({ length: 8 }, () => rowsText(one.body).slice('"rows":[['.length, -2)).join(',')}]]`, `${label}: the same values, eight times`)
      } else {
        const row = many.json().rows[0] as Record<string, unknown>
        const single = one.json().rows[0] as Record<string, unknown>
        for (const [key, value] of Object.entries(single)) {
          t.strictSame([row[key], row[`${key}_8`]], [value, value], `${label}: ${key} and ${key}_8`)
        }
      }
    }
  }
})

t.test('JSON values keep every digit: the answer holds their text as the database gave it', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, `CREATE TABLE docs (id INT PRIMARY KEY, doc JSON);
    INSERT INTO docs VALUES (1, '{"id": 9007199254740993, "tags": ["a", "é"]}'), (2, NULL), (3, '[18446744073709551615, 1.000000000000000000001]')`)
  const sessionId = await selectedSession(app, db)

  const objects = await post(app, '/api/query', { query: 'SELECT id, doc FROM docs ORDER BY id', session_id: sessionId })
  t.equal(objects.statusCode, 200)
  t.match(objects.body, '"rows":[{"id":1,"doc":{"id": 9007199254740993, "tags": ["a", "é"]}},{"id":2,"doc":null},{"id":3,"doc":[18446744073709551615, 1.000000000000000000001]}]')
  t.strictSame(objects.json().rows[0].doc, { id: 9007199254740992, tags: ['a', 'é'] }, 'and the answer is JSON a client parses as usual')

  const arrays = await post(app, '/api/query', { query: 'SELECT doc, id FROM docs WHERE id = 3', row_format: 'array', session_id: sessionId })
  t.match(arrays.body, '"rows":[[[18446744073709551615, 1.000000000000000000001],3]]', 'array rows too')
})

t.test('times keep their column\'s fractional digits, with params as without', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, `CREATE TABLE tv (i INT PRIMARY KEY, tm TIME(3), tm6 TIME(6), dt DATETIME(6), ts TIMESTAMP(2) NULL, dt0 DATETIME);
    INSERT INTO tv VALUES (1, '-838:59:59.000', '12:00:00.000001', '1999-12-31 23:59:59.999999', '2038-01-19 03:14:07.5', '2024-02-29 00:00:00'),
      (2, '100:00:00.5', '-00:00:00.25', '2024-01-01 00:00:00', NULL, '0000-00-00 00:00:00')`)
  const sessionId = await selectedSession(app, db)
  const plain = await post(app, '/api/query', { query: 'SELECT tm, tm6, dt, ts, dt0 FROM tv ORDER BY i', session_id: sessionId })
  t.strictSame(plain.json().rows, [
    { tm: '-838:59:59.000', tm6: '12:00:00.000001', dt: '1999-12-31 23:59:59.999999', ts: '2038-01-19 03:14:07.50', dt0: '2024-02-29 00:00:00' },
    { tm: '100:00:00.500', tm6: '-00:00:00.250000', dt: '2024-01-01 00:00:00.000000', ts: null, dt0: '0000-00-00 00:00:00' }
  ], 'the server writes each column with its own number of digits')
  const prepared = await post(app, '/api/query', { query: 'SELECT tm, tm6, dt, ts, dt0 FROM tv WHERE i > ? ORDER BY i', params: [0], session_id: sessionId })
  t.strictSame(prepared.json().rows, plain.json().rows, "with params: the same text (mysql2 had written '-838:59:59', '100:00:00.5', '2024-01-01 00:00:00')")
})

t.test('a FLOAT is the shortest decimal of its float32, with params as without', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, 'CREATE TABLE f (i INT PRIMARY KEY, v FLOAT); INSERT INTO f VALUES (1, 0.3), (2, 1.2345678), (3, 16777217), (4, 3.4e38), (5, -0.1), (6, NULL)')
  const sessionId = await selectedSession(app, db)
  const prepared = await post(app, '/api/query', { query: 'SELECT v FROM f WHERE i > ? ORDER BY i', params: [0], session_id: sessionId })
  // The float32s themselves: 16777217 is stored as 16777216. As doubles they had read 0.30000001192092896, 1.2345677614212036, ...
  t.strictSame(prepared.json().rows.map((row: { v: number | null }) => row.v), [0.3, 1.2345678, 16777216, 3.4e38, -0.1, null])
  // Each names the stored float32 exactly (v + 0 is that float32 as a DOUBLE).
  const exact = await post(app, '/api/query', { query: 'SELECT v + 0 AS d FROM f WHERE i > ? ORDER BY i', params: [0], session_id: sessionId })
  t.strictSame(prepared.json().rows.map((row: { v: number | null }) => row.v === null ? null : Math.fround(row.v)), exact.json().rows.map((row: { d: number | null }) => row.d))
  const plain = await post(app, '/api/query', { query: 'SELECT v FROM f WHERE i IN (1, 5)', session_id: sessionId })
  t.strictSame(plain.json().rows, [{ v: 0.3 }, { v: -0.1 }], 'the text protocol gives the same for these')
})

t.test('small BIGINTs are strings too, and computed DECIMALs keep their scale', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const sessionId = await selectedSession(app, db)
  const res = await post(app, '/api/query', { query: 'SELECT COUNT(*) AS n, CAST(1 AS SIGNED) AS one, 1.10 + 2.20 AS sum, 9007199254740993 AS past_2_53', session_id: sessionId })
  t.strictSame(res.json().rows, [{ n: '1', one: 1, sum: '3.30', past_2_53: '9007199254740993' }])
  t.strictSame(res.json().columns.map((c: { type: string }) => c.type), ['BIGINT', 'INT', 'DECIMAL', 'BIGINT'], 'the type says which: MariaDB types CAST(1 AS SIGNED) as INT')
})

t.test('columns that share a name: "array" keeps the names, "object" keys the later ones with a suffix; no value is hidden', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, 'CREATE TABLE a (id INT, name VARCHAR(5), doc JSON, bin VARBINARY(4)); CREATE TABLE b (id INT, name VARCHAR(5), doc JSON, bin VARBINARY(4)); ' +
    'INSERT INTO a VALUES (1, \'left\', \'{"n": 9007199254740993}\', X\'01\'); INSERT INTO b VALUES (1, NULL, \'[2]\', X\'02\')')
  const sessionId = await selectedSession(app, db)
  const query = 'SELECT * FROM a LEFT JOIN b ON a.id = b.id'
  const asArray = await post(app, '/api/query', { query, row_format: 'array', session_id: sessionId })
  t.equal(asArray.body.slice(asArray.body.indexOf('"rows":'), asArray.body.indexOf(',"row_count"')), '"rows":[[1,"left",{"n": 9007199254740993},"AQ==",1,null,[2],"Ag=="]]')
  t.strictSame(asArray.json().columns.map((c: { name: string }) => c.name), ['id', 'name', 'doc', 'bin', 'id', 'name', 'doc', 'bin'])

  const keys = ['id', 'name', 'doc', 'bin', 'id_2', 'name_2', 'doc_2', 'bin_2']
  for (const params of [undefined, []]) { // the text protocol and the binary one
    const asObject = await post(app, '/api/query', { query, params, session_id: sessionId })
    t.strictSame(asObject.json().columns.map((c: { name: string }) => c.name), keys, 'the columns name the keys')
    t.strictSame(asObject.json().columns.map((c: { type: string }) => c.type), ['INT', 'VARCHAR', 'JSON', 'VARBINARY', 'INT', 'VARCHAR', 'JSON', 'VARBINARY'])
    t.equal(asObject.body.slice(asObject.body.indexOf('"rows":'), asObject.body.indexOf(',"row_count"')),
      '"rows":[{"id":1,"name":"left","doc":{"n": 9007199254740993},"bin":"AQ==","id_2":1,"name_2":null,"doc_2":[2],"bin_2":"Ag=="}]',
      `each value under its own key, converted by its own column's type (params: ${String(params)})`)
  }

  const taken = await post(app, '/api/query', { query: 'SELECT 1 AS x, 2 AS x_2, 3 AS x, 4 AS x, 5 AS x_3', session_id: sessionId })
  t.strictSame(taken.json().rows, [{ x: 1, x_2: 2, x_4: 3, x_5: 4, x_3: 5 }], 'a suffix no column has as its own name')
  t.strictSame(taken.json().columns.map((c: { name: string }) => c.name), ['x', 'x_2', 'x_4', 'x_5', 'x_3'])
  const wide = await post(app, '/api/query', { query: `SELECT ${Array.from({ length: 20 }, (_, i) => `${i} AS c${i % 19}`).join(', ')}`, session_id: sessionId })
  t.strictSame(wide.json().columns.map((c: { name: string }) => c.name).slice(-2), ['c18', 'c0_2'], 'a wide result too')
  t.equal(wide.json().rows[0].c0_2, 19)
  const after = await post(app, '/api/query', { query: 'SELECT a.id, a.name FROM a', session_id: sessionId })
  t.strictSame(after.json().rows, [{ id: 1, name: 'left' }], 'the fields mysql2 caches are the server\'s names again')
})

t.test('columns named like Object.prototype\'s internals come back like any other', async (t) => {
  // mysql2's row parsers refuse these five names with a fatal error, which had closed the
  // connection and answered 503 database_unavailable ("retry shortly") for a plain SELECT.
  const app = await build(t)
  const db = await createDatabase(t, 'CREATE TABLE p (id INT, `__proto__` VARCHAR(5), j JSON); INSERT INTO p VALUES (1, \'x\', \'{"n": 9007199254740993}\')')
  const sessionId = await selectedSession(app, db)
  const names = ['__proto__', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']
  const select = `SELECT ${names.map((name, i) => `${i} AS \`${name}\``).join(', ')}, 5 AS after`
  const expected = JSON.parse(`{${names.map((name, i) => `"${name}":${i}`).join(',')},"after":5}`)
  for (const params of [undefined, []]) {
    const res = await post(app, '/api/query', { query: select, params, session_id: sessionId })
    t.equal(res.statusCode, 200, res.body)
    t.equal(res.body.indexOf('"rows":[{"__proto__":0,"__defineGetter__":1,'), res.body.indexOf('"rows":'), 'written in column order')
    t.strictSame(res.json().rows, [expected])
    t.strictSame(res.json().columns.map((c: { name: string }) => c.name), [...names, 'after'])
  }
  const prepared = await post(app, '/api/query', { query: 'SELECT ? AS `__proto__`, ? AS `__proto__`', params: [1, 2], session_id: sessionId })
  t.equal(prepared.body.slice(prepared.body.indexOf('"rows":'), prepared.body.indexOf(',"row_count"')), '"rows":[{"__proto__":1,"__proto___2":2}]', 'a repeated name is suffixed, as any other')
  const asArray = await post(app, '/api/query', { query: select, row_format: 'array', session_id: sessionId })
  t.strictSame(asArray.json().rows, [[0, 1, 2, 3, 4, 5]])
  const table = await post(app, '/api/query', { query: 'SELECT * FROM p', session_id: sessionId })
  t.equal(table.body.slice(table.body.indexOf('"rows":'), table.body.indexOf(',"row_count"')), '"rows":[{"id":1,"__proto__":"x","j":{"n": 9007199254740993}}]', 'a table\'s column, with a JSON column converted as usual')
  const after = await post(app, '/api/query', { query: 'SELECT 1 AS a', session_id: sessionId })
  t.strictSame(after.json().rows, [{ a: 1 }])
})

t.test('MariaDB\'s own types are named as such, their values as text', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, "CREATE TABLE x (u UUID, i6 INET6, i4 INET4); INSERT INTO x VALUES ('123e4567-e89b-12d3-a456-426614174000', '2001:db8::1', '192.0.2.1')")
  const sessionId = await selectedSession(app, db)
  for (const params of [undefined, [1]]) {
    const res = await post(app, '/api/query', { query: params === undefined ? 'SELECT * FROM x' : 'SELECT * FROM x WHERE ? = 1', params, session_id: sessionId })
    t.strictSame(res.json().columns.map((c: { type: string }) => c.type), ['UUID', 'INET6', 'INET4'])
    t.strictSame(res.json().rows, [{ u: '123e4567-e89b-12d3-a456-426614174000', i6: '2001:db8::1', i4: '192.0.2.1' }])
  }
})

t.test('spatial values come back as GeoJSON geometries, each kind told apart, the SRID kept', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, `CREATE TABLE g (i INT, v GEOMETRY);
    INSERT INTO g VALUES
      (1, ST_GeomFromText('POINT(1.5 -2.25)')),
      (2, ST_GeomFromText('LINESTRING(0 0, 1 1, 2 0.1)')),
      (3, ST_GeomFromText('POLYGON((0 0, 4 0, 4 4, 0 0), (1 1, 2 1, 2 2, 1 1))')),
      (4, ST_GeomFromText('MULTIPOINT(0 0, 5 5)')),
      (5, ST_GeomFromText('MULTILINESTRING((0 0, 1 1, 1 0, 0 0))')),
      (6, ST_GeomFromText('MULTIPOLYGON(((0 0, 1 1, 1 0, 0 0)), ((5 5, 6 6, 6 5, 5 5)))')),
      (7, ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1), MULTIPOINT(3 3))')),
      (8, ST_GeomFromText('GEOMETRYCOLLECTION EMPTY')),
      (9, ST_GeomFromText('POINT(13.4 52.5)', 4326)),
      (10, NULL)`)
  const sessionId = await selectedSession(app, db)
  const expected = [
    { type: 'Point', coordinates: [1.5, -2.25] },
    { type: 'LineString', coordinates: [[0, 0], [1, 1], [2, 0.1]] },
    { type: 'Polygon', coordinates: [[[0, 0], [4, 0], [4, 4], [0, 0]], [[1, 1], [2, 1], [2, 2], [1, 1]]] },
    { type: 'MultiPoint', coordinates: [[0, 0], [5, 5]] },
    { type: 'MultiLineString', coordinates: [[[0, 0], [1, 1], [1, 0], [0, 0]]] },
    { type: 'MultiPolygon', coordinates: [[[[0, 0], [1, 1], [1, 0], [0, 0]]], [[[5, 5], [6, 6], [6, 5], [5, 5]]]] },
    { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [1, 2] }, { type: 'LineString', coordinates: [[0, 0], [1, 1]] }, { type: 'MultiPoint', coordinates: [[3, 3]] }] },
    { type: 'GeometryCollection', geometries: [] },
    { type: 'Point', coordinates: [13.4, 52.5], srid: 4326 },
    null
  ]
  const plain = await post(app, '/api/query', { query: 'SELECT i, v FROM g ORDER BY i', session_id: sessionId })
  t.equal(plain.statusCode, 200, plain.body)
  t.strictSame(plain.json().rows.map((row: { v: unknown }) => row.v), expected)
  t.strictSame(plain.json().columns[1], { name: 'v', type: 'GEOMETRY', nullable: true })
  const prepared = await post(app, '/api/query', { query: 'SELECT i, v FROM g WHERE i > ? ORDER BY i', params: [0], session_id: sessionId })
  t.strictSame(prepared.json().rows, plain.json().rows, 'with params as without')
  const kinds = await post(app, '/api/query', { query: "SELECT POINT(1, 2) AS p, ST_GeomFromText('LINESTRING(0 0, 1 1)') AS l", session_id: sessionId })
  t.strictSame(kinds.json().columns.map((c: { type: string }) => c.type), ['POINT', 'GEOMETRY'], 'MariaDB names the kind where it knows it (ST_GeomFromText\'s result may be any)')
  const asArray = await post(app, '/api/query', { query: 'SELECT v, ST_AsText(v) AS wkt FROM g WHERE i = 5', row_format: 'array', session_id: sessionId })
  t.strictSame(asArray.json().rows, [[expected[4], 'MULTILINESTRING((0 0,1 1,1 0,0 0))']], 'as an array row; a MULTILINESTRING is not taken for a POLYGON')
  t.strictSame(asArray.json().columns.map((c: { type: string }) => c.type), ['GEOMETRY', 'LONGTEXT'])
  const proto = await post(app, '/api/query', { query: 'SELECT v AS `__proto__` FROM g WHERE i = 1', session_id: sessionId })
  t.equal(proto.body.slice(proto.body.indexOf('"rows":'), proto.body.indexOf(',"row_count"')), '"rows":[{"__proto__":{"type":"Point","coordinates":[1.5,-2.25]}}]', 'both changes at once')
})

t.test('params are bound by the driver, hostile values included', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, "CREATE TABLE users (id INT, name VARCHAR(100)); INSERT INTO users VALUES (1, 'alice'), (2, 'bob')")
  const sessionId = await selectedSession(app, db)
  const run = (query: string, params: unknown[]) => post(app, '/api/query', { query, params, session_id: sessionId })

  const hostile = ["' OR '1'='1", "alice'; DROP TABLE users; --", 'back\\slash\\', 'nul\u0000byte', '"double"', '`tick`', '☃ 😀', '?', '/*!50000 DELETE FROM users */']
  for (const value of hostile) {
    const echoed = await run('SELECT ? AS v', [value])
    t.strictSame(echoed.json().rows, [{ v: value }], `echoed exactly: ${JSON.stringify(value)}`)
    const matched = await run('SELECT id FROM users WHERE name = ?', [value])
    t.strictSame(matched.json().rows, [], `matches nothing: ${JSON.stringify(value)}`)
  }
  t.strictSame((await run('SELECT id FROM users WHERE name = ?', ['bob'])).json().rows, [{ id: 2 }])
  t.strictSame((await run('SELECT ? AS n, ? AS f, ? AS b, ? AS z', [42, 1.5, true, null])).json().rows, [{ n: 42, f: 1.5, b: 1, z: null }])
  t.strictSame((await run('SELECT COUNT(*) AS n FROM users', [])).json().rows, [{ n: '2' }], 'an empty params array is no params')
  const mismatch = await run('SELECT ? AS a, ? AS b', [1])
  t.equal(mismatch.statusCode, 400, 'too few values for the placeholders')
  t.equal((await run('SELECT COUNT(*) AS n FROM users', [])).json().rows[0].n, '2', 'the table is intact')
})
