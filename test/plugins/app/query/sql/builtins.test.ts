import t from 'tap'
import { builtInNames } from '../../../../../plugins/app/query/sql/builtins.js'
import { classify } from '../../../../../plugins/app/query/sql/classifier.js'
import { sqlServer, type SqlServer } from '../../../../../plugins/app/query/sql/server.js'
import { adminConnection, createDatabase } from '../../../../helper.js'

/**
 * The gateway's list of built-in functions against the real MariaDB, which answers errno 1305
 * ("FUNCTION db.name does not exist") exactly when it reads a call as one of a stored function:
 * every listed name is built in there, and every call it reads as a stored function's the gateway
 * reads so too (its connection is reset after it), however the name is spelled: in any case, in
 * backticks, or with a character that JavaScript, but not the server, upper-cases to ASCII
 * (`ſum` → SUM, `ﬁeld` → FIELD).
 */

/** Non-ASCII characters whose JavaScript upper case is ASCII letters, by what they become. */
const LOOK_ALIKES: Array<[string, string]> = [
  ['SS', 'ß'], ['FFI', 'ﬃ'], ['FFL', 'ﬄ'], ['FF', 'ﬀ'], ['FI', 'ﬁ'], ['FL', 'ﬂ'], ['ST', 'ﬅ'], ['ST', 'ﬆ'], ['S', 'ſ'], ['I', 'ı']
]

/** Every spelling of `name` with one of its letters' look-alikes in place of them. */
function lookAlikes (name: string): string[] {
  const spellings = new Set<string>()
  for (const [letters, alike] of LOOK_ALIKES) {
    for (let at = name.indexOf(letters); at !== -1; at = name.indexOf(letters, at + 1)) {
      spellings.add(`${name.slice(0, at)}${alike}${name.slice(at + letters.length)}`.toLowerCase())
    }
  }
  return [...spellings]
}

async function serverErrno (conn: Awaited<ReturnType<typeof adminConnection>>, sql: string): Promise<number> {
  try {
    await conn.query(sql)
    return 0
  } catch (err) {
    return (err as { errno: number }).errno
  }
}

function resets (sql: string, server: SqlServer): boolean {
  return classify(sql, true, server).resetsConnection
}

t.test('every listed built-in is built in on this MariaDB, and a call the server reads as a stored function\'s is reset, however spelled', async (t) => {
  const db = await createDatabase(t, 'SELECT 1')
  const conn = await adminConnection(t)
  await conn.query(`USE \`${db}\``)
  const [[{ version }]] = await conn.query('SELECT VERSION() AS version') as unknown as [[{ version: string }]]
  const server = sqlServer(version)
  let spellings = 0
  let storedCalls = 0
  for (const name of builtInNames(server.dialect)) {
    // With none to three arguments: some built-ins are the server's own only with the arguments
    // its grammar expects, and a call with others is a stored function's.
    for (let count = 0; count <= 3; count++) {
      const call = `SELECT ${name.toLowerCase()}(${Array(count).fill('0').join(', ')})`
      if (await serverErrno(conn, call) === 1305) t.fail(`${call}: not built in on ${version}, but listed`)
    }
    for (const spelling of lookAlikes(name)) {
      for (const sql of [`SELECT ${spelling}()`, `SELECT \`${spelling}\`()`]) {
        spellings++
        if (await serverErrno(conn, sql) !== 1305) continue
        storedCalls++
        try {
          t.ok(resets(sql, server), `${sql}: a stored function's call, reset after`)
        } catch (err) {
          t.equal((err as { code: string }).code, 'read_only_violation', `${sql}: refused`)
        }
      }
    }
  }
  t.ok(spellings > 300, `${spellings} spellings`)
  t.equal(storedCalls, spellings, 'the server reads every look-alike spelling as a stored function\'s name')
})
