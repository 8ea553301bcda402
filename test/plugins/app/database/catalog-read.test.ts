import t from 'tap'
import { build, createDatabase, selectedSession } from '../../../helper.js'

t.test('sessions describing one schema at once share one read of its columns; a describe after them reads afresh', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_MAX: '100000', RATE_LIMIT_ADDRESS_MAX: '100000' } })
  const columns = Array.from({ length: 40 }, (_, i) => `c${i} INT`).join(', ')
  const db = await createDatabase(t, Array.from({ length: 200 }, (_, i) => `CREATE TABLE t${i} (id INT PRIMARY KEY, ${columns}) ENGINE=MEMORY`).join(';\n'))
  const sessions = await Promise.all(Array.from({ length: 8 }, () => selectedSession(app, db)))
  // What reaches the database: the catalog's reads of information_schema.COLUMNS, counted.
  const mysql = app.mysql as { query: (...args: unknown[]) => Promise<unknown> }
  const query = mysql.query.bind(mysql)
  let columnReads = 0
  mysql.query = async (...args: unknown[]) => {
    if (String(args[0]).includes('information_schema.COLUMNS')) columnReads++
    return await query(...args)
  }
  const describe = async (session: string, remoteAddress: string) => {
    const res = await app.inject({ method: 'GET', url: '/api/database/schema', remoteAddress, headers: { 'x-session-id': session } })
    t.equal(res.statusCode, 200)
    return res.json() as { session_id: string, tables: Array<{ name: string, columns: unknown[] }> }
  }
  const answers = await Promise.all(sessions.map((session, i) => describe(session, `203.0.113.${1 + (i % 3)}`)))
  t.ok(columnReads < sessions.length, `${sessions.length} describes at once, from three clients, read the columns ${columnReads} time(s)`)
  t.ok(answers.every((answer, i) => answer.session_id === sessions[i] && answer.tables.length === 200 && answer.tables.every((table) => table.columns.length === 41)),
    'each answer is its own session\'s, whole')
  const before = columnReads
  await describe(sessions[0]!, '203.0.113.1')
  t.equal(columnReads, before + 1, 'a describe after them reads the columns again: nothing is kept')
})
