import t from 'tap'
import mysql from 'mysql2'
import { resultSetStatus, resultSetWarnings } from '../../../../plugins/app/patches/mysql2-result-status.js'
import { TEST_MYSQL_URL } from '../../../helper.js'

/**
 * When the first test fails, mysql2 hands a result set's warnings to its callers, and
 * plugins/app/patches/mysql2-result-status.ts can go; when the second fails, the patch no longer works.
 */
t.test('mysql2 still keeps a result set\'s warning count to itself', async (t) => {
  const conn = mysql.createConnection({ uri: TEST_MYSQL_URL })
  t.teardown(() => conn.destroy())
  const answer = await new Promise<{ rows: unknown, fields: unknown }>((resolve, reject) => {
    conn.query("SELECT CAST('12abc' AS SIGNED) AS n", (err, rows, fields) => { if (err !== null) reject(err); else resolve({ rows, fields }) })
  })
  t.notMatch(JSON.stringify(answer), /warning/i, 'nothing of the warning reaches the caller')
})

t.test('the patch notes the count and the status flags on the command', async (t) => {
  const conn = mysql.createConnection({ uri: TEST_MYSQL_URL })
  t.teardown(() => conn.destroy())
  const command = conn.query("SELECT CAST('12abc' AS SIGNED) AS n")
  await new Promise((resolve, reject) => { command.on('end', resolve); command.on('error', reject) })
  t.equal(resultSetWarnings(command), 1, 'one warning')
  t.equal(resultSetStatus(command) & 0x0002, 0x0002, 'autocommit, as the status flags say')
})
