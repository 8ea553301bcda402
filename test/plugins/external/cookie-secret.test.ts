import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { developmentSecret, DEVELOPMENT_SECRET_FILE } from '../../../plugins/external/cookie.js'
import { createDatabase, freePort, killOnExit, testConfig } from '../../helper.js'

t.test('developmentSecret: generated once, kept in a file only its owner reads, read back after', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sqlgate-secret-'))
  const first = developmentSecret(dir)
  t.ok(first !== null && first.length >= 32)
  t.equal(developmentSecret(dir), first, 'the same secret the next time')
  t.equal(statSync(join(dir, DEVELOPMENT_SECRET_FILE)).mode & 0o777, 0o600)
  t.equal(readFileSync(join(dir, DEVELOPMENT_SECRET_FILE), 'utf8').trim(), first)
  t.equal(developmentSecret('/proc/definitely-not-writable'), null, 'null where it cannot be kept')
})

/** The service as `npm run dev` starts it, without COOKIE_SECRET, in `cwd`; stopped when the test ends. */
async function devServer (t: Test, cwd: string, port: number) {
  const config = testConfig()
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), new URL('../../../server.ts', import.meta.url).pathname], {
    cwd,
    env: { PATH: process.env.PATH, PORT: String(port), REDIS_URL: config.REDIS_URL, REDIS_KEY_PREFIX: 'sqlgate-dev-secret-test:', MYSQL_URL: config.MYSQL_URL, LOG_LEVEL: 'warn' },
    stdio: 'ignore'
  })
  killOnExit(child)
  t.teardown(() => { child.kill('SIGKILL') })
  for (let i = 0; i < 100 && !(await fetch(`http://127.0.0.1:${port}/ready`).then((res) => res.ok, () => false)); i++) await new Promise((resolve) => setTimeout(resolve, 100))
  return child
}

t.test('without COOKIE_SECRET in development, a restart keeps the browser\'s session', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'sqlgate-dev-'))
  const db = await createDatabase(t)
  const port = await freePort()
  const first = await devServer(t, cwd, port)
  const selected = await fetch(`http://127.0.0.1:${port}/api/database/select`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ database_name: db }) })
  t.equal(selected.status, 200)
  const cookie = selected.headers.get('set-cookie')!.split(';')[0]!
  first.kill('SIGTERM')
  await new Promise((resolve) => first.once('exit', resolve))

  await devServer(t, cwd, port)
  const context = await (await fetch(`http://127.0.0.1:${port}/api/database/context`, { headers: { cookie } })).json() as { database_context: { database_name: string } | null }
  t.equal(context.database_context?.database_name, db, 'the restarted service reads the same cookie, and its session')
})
