import t from 'tap'
import { adminConnection, build, createDatabase, post, randomSessionId, randomSuffix, TEST_MYSQL_URL } from '../../../helper.js'

/**
 * When the gateway's own database account cannot log in or run statements (a wrong or rotated
 * password, a locked account, an expired password), the request was not at fault: every route
 * answers 503 database_unavailable with Retry-After, as when the server is out of reach, and the
 * log says why. The answer names neither the account nor the address the gateway connects from,
 * which the server's message holds (plugins/app/errors/mysql-errors.ts).
 */

const ACCOUNTS = [
  { how: 'a wrong password', errno: 1045, setup: (user: string) => [`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY 'another-password'`] },
  { how: 'a locked account', errno: 4151, setup: (user: string) => [`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY 'pw'`, `ALTER USER '${user}'@'127.0.0.1' ACCOUNT LOCK`] },
  { how: 'an expired password', errno: 1820, setup: (user: string) => [`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY 'pw'`, `ALTER USER '${user}'@'127.0.0.1' PASSWORD EXPIRE`] }
]

for (const account of ACCOUNTS) {
  t.test(`${account.how}: 503 database_unavailable on every route, the account's name kept out of the answer and in the log`, async (t) => {
    const db = await createDatabase(t, 'CREATE TABLE t (id INT)')
    const admin = await adminConnection(t)
    const user = `sqlgate_acct_${randomSuffix(4)}`
    t.teardown(async () => { await admin.query(`DROP USER IF EXISTS '${user}'@'127.0.0.1'`) })
    for (const statement of account.setup(user)) await admin.query(statement)
    await admin.query(`GRANT SELECT ON \`${db}\`.* TO '${user}'@'127.0.0.1'`)
    const url = new URL(TEST_MYSQL_URL)
    url.username = user
    url.password = 'pw'

    const logs: Array<Record<string, unknown>> = []
    const app = await build(t, { logs, env: { MYSQL_URL: url.toString() } })
    const session = randomSessionId()
    const answers = {
      'GET /api/database/list': await app.inject({ url: '/api/database/list', headers: { 'x-session-id': session } }),
      'POST /api/database/select': await post(app, '/api/database/select', { database_name: db, session_id: session })
    }
    for (const [route, res] of Object.entries(answers)) {
      t.strictSame([res.statusCode, res.json().code, res.headers['retry-after']], [503, 'database_unavailable', '1'], route)
      t.notOk(res.body.includes(user), 'the answer does not name the account')
      t.notOk(res.body.includes('127.0.0.1'), 'nor the address the gateway connects from')
    }
    const failed = logs.filter((line) => line.msg === 'request failed')
    t.ok(failed.length > 0 && failed.every((line) => (line.err as { errno?: number } | undefined)?.errno === account.errno), `the log says why (errno ${account.errno})`)
  })
}
