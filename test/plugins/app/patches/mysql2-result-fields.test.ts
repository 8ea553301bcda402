import t from 'tap'
import mysql from 'mysql2'
import { TEST_MYSQL_URL } from '../../../helper.js'

/**
 * When this fails, plugins/app/patches/mysql2-result-fields.ts can go (or its part this names): mysql2
 * reads a column named __proto__ in array rows on its own, or offers a per-query disableEval.
 */
t.test('mysql2 still refuses a result whose column is named __proto__, even as array rows', async (t) => {
  const conn = mysql.createConnection({ uri: TEST_MYSQL_URL })
  t.teardown(() => conn.destroy())
  const outcome = await new Promise<string>((resolve) => {
    conn.on('error', () => {})
    conn.query({ sql: 'SELECT 1 AS __proto__', rowsAsArray: true }, (err) => { resolve(err === null ? 'answered' : err.message) })
  })
  t.match(outcome, /can't be the same as an object's private property/)
})

t.test('mysql2 still offers disableEval for a whole connection only', async (t) => {
  const typings = await import('node:fs').then((fs) => fs.readFileSync(new URL('../../../../node_modules/mysql2/typings/mysql/lib/protocol/sequences/Query.d.ts', import.meta.url), 'utf8'))
  t.notMatch(typings, /disableEval/, 'a query\'s options have no disableEval')
})
