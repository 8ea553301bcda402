/// <reference lib="dom" />
import t from 'tap'
import { chromium } from 'playwright-core'
import { ConfigError, loadConfig } from '../../../../config.js'
import { build, CHROMIUM, CHROMIUM_FLAGS, createDatabase, listen, skipWithoutChromium as skip } from '../../../helper.js'

/** What a request for `host` gets: its status and error code. */
async function ask (app: Awaited<ReturnType<typeof build>>, host: string, url = '/api/database/context', headers: Record<string, string> = {}) {
  const res = await app.inject({ url, headers: { host, ...headers } })
  return { status: res.statusCode, code: res.statusCode === 403 ? res.json().code : undefined, res }
}

t.test('by default (a loopback HOST) only localhost and IP addresses are answered', async (t) => {
  const app = await build(t)
  for (const host of ['localhost:3000', 'LOCALHOST', 'localhost.:3000', '127.0.0.1:3000', '127.0.0.1', '[::1]:3000', '10.0.0.5:8080', '192.0.2.7']) {
    t.equal((await ask(app, host)).status, 200, `${host} is answered`)
  }
  for (const host of ['evil.example:3000', 'evil.example', 'localhost.evil.example', 'evil.localhost:3000', '127.0.0.1.nip.io:3000', ':3000', '[not-an-address]:3000']) {
    t.strictSame(await ask(app, host).then(({ status, code }) => ({ status, code })), { status: 403, code: 'host_not_allowed' }, `${host} is refused`)
  }
  // Every route, pages included; refused before a session exists, with the security headers.
  for (const url of ['/api/database/list', '/health', '/', '/docs/', '/openapi.json', '/mcp']) {
    const { status, res } = await ask(app, 'evil.example:3000', url)
    t.equal(status, 403, `${url}: refused`)
    t.equal(res.headers['set-cookie'], undefined, `${url}: no session was started`)
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${url}: with the security headers`)
  }
  t.match((await ask(app, 'evil.example')).res.json().message, /ALLOWED_HOSTS/, 'the error names the setting')
})

t.test('ALLOWED_HOSTS names the hosts: exact names and .domain for a domain and its subdomains', async (t) => {
  const app = await build(t, { env: { ALLOWED_HOSTS: 'db-gateway, .example.com' } })
  for (const host of ['db-gateway:3000', 'DB-Gateway', 'example.com', 'api.example.com', 'a.b.example.com:443', '127.0.0.1:3000']) {
    t.equal((await ask(app, host)).status, 200, `${host} is answered`)
  }
  for (const host of ['badexample.com', 'example.com.evil.example', 'db-gateway.evil.example', 'localhost:3000']) {
    t.equal((await ask(app, host)).status, 403, `${host} is refused`)
  }
})

t.test('any host is answered with ALLOWED_HOSTS=*, or a HOST that is not loopback (behind a proxy, in a container)', async (t) => {
  for (const env of [{ ALLOWED_HOSTS: '*' }, { HOST: '0.0.0.0' }, { HOST: '::' }] as Array<Record<string, string>>) {
    const app = await build(t, { env })
    t.equal((await ask(app, 'evil.example:3000')).status, 200, JSON.stringify(env))
  }
  t.strictSame(loadConfig({ HOST: '0.0.0.0' }).ALLOWED_HOSTS, ['*'])
  for (const HOST of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) t.strictSame(loadConfig({ HOST }).ALLOWED_HOSTS, ['localhost'], HOST)
  t.strictSame(loadConfig({ HOST: '0.0.0.0', ALLOWED_HOSTS: 'api.example.com' }).ALLOWED_HOSTS, ['api.example.com'])
})

t.test('behind a trusted proxy the host is the one the proxy was asked for (X-Forwarded-Host)', async (t) => {
  const app = await build(t, { env: { TRUST_PROXY: '127.0.0.1', ALLOWED_HOSTS: 'api.example.com' } })
  t.equal((await ask(app, 'sqlgate-upstream:3000', undefined, { 'x-forwarded-host': 'api.example.com' })).status, 200)
  t.equal((await ask(app, 'api.example.com', undefined, { 'x-forwarded-host': 'evil.example' })).status, 403)
  // An untrusted client's X-Forwarded-Host is not read.
  const direct = await build(t, { env: { ALLOWED_HOSTS: 'api.example.com' } })
  t.equal((await ask(direct, 'evil.example', undefined, { 'x-forwarded-host': 'api.example.com' })).status, 403)
})

t.test('ALLOWED_HOSTS entries are host names', async (t) => {
  for (const value of ['localhost:3000', 'https://api.example.com', 'api.example.com/x', '*.example.com', 'a b']) {
    t.throws(() => loadConfig({ ALLOWED_HOSTS: value }), ConfigError, value)
    t.throws(() => loadConfig({ ALLOWED_HOSTS: value }), /^sqlgate config: ALLOWED_HOSTS: /, value)
  }
})

t.test('DNS rebinding in a real browser: a page whose name points at the service cannot use it', { skip }, async (t) => {
  // The attack: evil.test's page is loaded from the attacker's server, then its name is re-pointed at
  // 127.0.0.1, where this service listens on the same port; the page's requests are then
  // same-origin, so the browser sends them and lets the page read the answers. Here the name
  // points at 127.0.0.1 from the start, and the page's script runs in that origin.
  const app = await build(t)
  const base = await listen(app)
  const db = await createDatabase(t, 'CREATE TABLE secrets (v VARCHAR(20)); INSERT INTO secrets VALUES (\'s3cret\')')
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS, '--host-resolver-rules=MAP evil.test 127.0.0.1'] })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const attacker = base.replace('127.0.0.1', 'evil.test')
  await page.goto(`${attacker}/health`)
  const outcome = await page.evaluate(`(async () => {
    const post = (url, body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(async (res) => ({ status: res.status, body: await res.json() }))
    const selected = await post('/api/database/select', { database_name: ${JSON.stringify(db)} })
    const query = await post('/api/query', { query: 'SELECT v FROM secrets', session_id: selected.body.session_id ?? 'session_rebinding_1' })
    return { select: [selected.status, selected.body.code], query: [query.status, query.body.code], rows: query.body.rows ?? null }
  })()`) as { select: [number, string], query: [number, string], rows: unknown }
  t.strictSame(outcome, { select: [403, 'host_not_allowed'], query: [403, 'host_not_allowed'], rows: null }, 'neither request ran; nothing was read')

  // The same browser, at the service's own address, works as before.
  await page.goto(`${base}/health`)
  t.equal(await page.evaluate('fetch(\'/api/database/list\').then((res) => res.status)'), 200)
})
