import t from 'tap'
import { build, createDatabase, download, listen, post, selectedSession } from '../../../helper.js'

/**
 * A syntax error quotes the client's own text, though the server read the statement rebuilt
 * (plugins/app/query/sql/error-text.ts); test/routes/api/query/reading-differential.test.ts
 * compares generated ones with the server's messages for the client's text.
 */

const near = (message: string): string => /near '([\s\S]*)' at line \d+$/.exec(message)?.[1] ?? `(no quote: ${message})`
const line = (message: string): number => Number(/at line (\d+)$/.exec(message)?.[1])

t.test('a syntax error quotes the statement as the client wrote it, from where the server\'s reading failed, and names its line', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE t (a INT)')
  const app = await build(t)
  const sessionId = await selectedSession(app, db)
  const error = async (query: string, params?: unknown[]) => {
    const res = await post(app, '/api/query', { query, session_id: sessionId, ...(params === undefined ? {} : { params }) })
    t.equal(res.statusCode, 400, query)
    t.equal(res.json().errno, 1064, query)
    return String(res.json().message)
  }

  t.equal(near(await error('SELECT @v FROM FROM "x" -- why;')), 'FROM "x" -- why', 'variables, strings and comments as written (the server sent @`v` and \'x\', no comment)')
  t.equal(near(await error('SELECT a FROM t ORDER a,"b" ;  ')), 'a,"b"', 'trailing semicolons and spaces dropped, as the server drops them')
  const multiline = await error('SELECT a # the column\nFROM t # the table\n\nWHERE a = = 1')
  t.equal(near(multiline), '= 1')
  t.equal(line(multiline), 4, 'the line of the client\'s text the quote begins on')
  t.equal(near(await error('SELECT a FROM t WHERE a=? ORDER a,"b"', [1])), 'a,"b"', 'prepared')
  const long = await error(`SELECT a FROM FROM ${'x+'.repeat(60)}1`)
  t.equal(near(long), `FROM ${'x+'.repeat(36)}...`, 'cut at 77 bytes with ..., as MariaDB cuts a quote')
  t.equal(near(await error('SELECT 1 +')), '', 'nothing after the error: nothing to quote')

  const base = await listen(app)
  const exported = await download(base, '/api/query/export', { query: 'SELECT @v FROM FROM "x"', session_id: sessionId, format: 'csv' })
  t.equal(exported.status, 400)
  t.equal(near(JSON.parse(exported.body.toString('utf8')).message), 'FROM "x"', 'an export\'s error too')
})
