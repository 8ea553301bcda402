import type { Connection } from 'mysql2/promise'
import t from 'tap'
import { builtInNames } from '../../../../../plugins/app/query/sql/builtins.js'
import { classify } from '../../../../../plugins/app/query/sql/classifier.js'
import { sqlServer } from '../../../../../plugins/app/query/sql/server.js'
import { build, createDatabase, gatewayLikeConnection } from '../../../../helper.js'

/**
 * The gateway's list of built-in functions against the real MariaDB, which answers errno 1305 or
 * 1630 ("FUNCTION db.name does not exist") exactly when it reads a call as one of a stored function:
 * every listed name is built in there, and every call it reads as a stored function's the gateway
 * reads so too (its connection is reset after it), however the name is spelled: in any case, in
 * backticks, or with a character that JavaScript, but not the server, upper-cases to ASCII
 * (`ſum` → SUM, `ﬁeld` → FIELD), or apart from its parenthesis (`now ()`, or a comment between), on a
 * connection set up as the gateway's are (its pinned sql_mode), whatever mode the client began in.
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

/** The errors of a call the server reads as a stored function's, of which none exists. */
const NO_STORED_FUNCTION = new Set([1305, 1630])

async function serverErrno (conn: Connection, sql: string): Promise<number> {
  try {
    await conn.query(sql)
    return 0
  } catch (err) {
    return (err as { errno: number }).errno
  }
}

t.test('a call the server reads as a stored function\'s is reset after, however its name is spelled or set apart', async (t) => {
  const db = await createDatabase(t, 'SELECT 1')
  // A client that does not ask for IGNORE_SPACE (mysql2 does by default): the set-up pins it.
  const conn = (await gatewayLikeConnection(t, await build(t), db, { flags: ['-IGNORE_SPACE'] })).promise()
  const [[{ version }]] = await conn.query('SELECT VERSION() AS version') as unknown as [[{ version: string }]]
  const server = sqlServer(version)
  let calls = 0
  let storedCalls = 0
  /** Sends the text the gateway would send for `sql`: a stored function's call must be one the gateway resets after. */
  const check = async (sql: string): Promise<'refused' | 'stored' | 'built in'> => {
    calls++
    let statement
    try {
      statement = classify(sql, true, server)
    } catch (err) {
      t.match((err as { code: string }).code, /^(read_only_violation|unsupported_statement)$/, `${JSON.stringify(sql)}: refused`)
      return 'refused'
    }
    if (!NO_STORED_FUNCTION.has(await serverErrno(conn, statement.text))) return 'built in'
    storedCalls++
    if (!statement.resetsConnection) t.fail(`${JSON.stringify(sql)} (sent as ${JSON.stringify(statement.text)}): a stored function's call, kept its connection`)
    return 'stored'
  }
  let lookAlikeCalls = 0
  let storedLookAlikes = 0
  let unbuilt = 0
  for (const name of builtInNames(server.dialect)) {
    // Every listed name, with none to three arguments (some built-ins are the server's own only
    // with the arguments its grammar expects) and apart from its parenthesis.
    for (let count = 0; count <= 3; count++) {
      for (const gap of ['', ' ', '/**/', '\n', '-- x\n']) await check(`SELECT ${name.toLowerCase()}${gap}(${Array(count).fill('0').join(', ')})`)
    }
    for (const spelling of lookAlikes(name)) {
      for (const sql of [`SELECT ${spelling}()`, `SELECT \`${spelling}\`()`]) {
        lookAlikeCalls++
        const reading = await check(sql)
        if (reading === 'stored') storedLookAlikes++
        if (reading !== 'built in') unbuilt++
      }
    }
  }
  t.ok(lookAlikeCalls > 1000, `${calls} calls, ${lookAlikeCalls} of them look-alike spellings`)
  t.equal(unbuilt, lookAlikeCalls, 'the server reads every look-alike spelling as a stored function\'s name, or the gateway refuses it')
  t.equal(storedCalls, storedLookAlikes, 'and no listed name otherwise')
})
