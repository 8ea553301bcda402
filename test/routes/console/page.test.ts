import t from 'tap'
import { adminConnection, build } from '../../helper.js'

/** The `sql-server` meta of the console page: the dialect and version the editor reads statements for. */
async function pageServer (app: Awaited<ReturnType<typeof build>>): Promise<string | undefined> {
  const res = await app.inject({ url: '/' })
  t.equal(res.statusCode, 200)
  return /<meta name="sql-server" content="([^"]*)">/.exec(res.body)?.[1]
}

t.test('the console page names the server\'s dialect and version, for the editor to read statements as the gateway does', async (t) => {
  const app = await build(t)
  const admin = await adminConnection(t)
  const [[{ version }]] = await admin.query('SELECT VERSION() AS version') as unknown as [[{ version: string }]]
  const [major, minor, patch] = version.split(/[.-]/).map(Number)
  const dialect = /MariaDB/.test(version) ? 'mariadb' : /TiDB/.test(version) ? 'tidb' : 'mysql'
  t.equal(await pageServer(app), `${dialect} ${major! * 10000 + minor! * 100 + patch!}`, `for ${version}`)
})

t.test('behind API keys the page, open to all, names no version: a database\'s version tells an attacker which flaws to try', async (t) => {
  const app = await build(t, { env: { API_KEYS: 'console-page-key-0123456789' } })
  t.match(await pageServer(app), /^(mariadb|mysql|tidb) 0$/)
})
