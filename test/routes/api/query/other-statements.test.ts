import t from 'tap'
import mysql from 'mysql2/promise'
import { build, createDatabase, post, randomSessionId, selectOnlyUserUrl } from '../../../helper.js'

/**
 * No session reads the statements another session runs. The pool's connections serve every
 * session under one database user, and a user sees its own connections' statements without any
 * privilege: SHOW PROCESSLIST, run by any session, would have shown the others' statements, their
 * values included (plugins/app/query/sql/refusals.ts, otherStatementsReference).
 */
t.test('a session cannot read the statement another session is running, even as a user that may only read', async (t) => {
  const db = await createDatabase(t, 'CREATE TABLE t (id INT)')
  const url = await selectOnlyUserUrl(t, db)
  const app = await build(t, { env: { MYSQL_URL: url } })
  const [victim, attacker] = [randomSessionId(), randomSessionId()]
  for (const session of [victim, attacker]) t.equal((await post(app, '/api/database/select', { database_name: db, session_id: session })).statusCode, 200)

  const secret = `card-${randomSessionId()}`
  const running = post(app, '/api/query', { query: `SELECT SLEEP(2) AS s, '${secret}' AS c`, session_id: victim })
  // The channel is there: the same database user, with no privilege but SELECT, sees it.
  const sameUser = await mysql.createConnection({ uri: url })
  t.teardown(() => sameUser.end())
  let seen = false
  for (let i = 0; i < 50 && !seen; i++) {
    const [rows] = await sameUser.query('SHOW FULL PROCESSLIST') as unknown as [Array<{ Info: string | null }>]
    seen = rows.some((row) => row.Info?.includes(secret) === true)
    if (!seen) await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.ok(seen, 'the database user sees the victim\'s statement in its process list')

  for (const query of ['SHOW PROCESSLIST', 'SHOW FULL PROCESSLIST', 'SELECT info FROM information_schema.PROCESSLIST', 'SELECT * FROM `INFORMATION_SCHEMA`.`processlist`',
    'SELECT (SELECT GROUP_CONCAT(info) FROM information_schema.processlist) AS x', 'TABLE information_schema.processlist', 'SHOW EXPLAIN FOR 1', 'SHOW ANALYZE FOR 1']) {
    const res = await post(app, '/api/query', { query, session_id: attacker })
    t.strictSame([res.statusCode, res.json().code], [400, 'unsupported_statement'], query)
    t.notOk(res.body.includes(secret), 'and the answer does not hold the secret')
  }
  const history = await app.inject({ url: '/api/query/history', headers: { 'x-session-id': attacker } })
  t.notOk(history.body.includes(secret))
  t.equal((await running).statusCode, 200, 'the victim\'s statement ran undisturbed')
})
