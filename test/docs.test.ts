/// <reference lib="dom" />
import t from 'tap'
import { chromium, type Browser } from 'playwright-core'
import { build, CHROMIUM, CHROMIUM_FLAGS as FLAGS, listen, pathProxy, skipWithoutChromium as skip } from './helper.js'

/** A name the browser resolves to 127.0.0.1 without trusting it as it trusts localhost. */
const PLAIN_HOST = 'sqlgate.test'

/**
 * /docs in a real browser: the page, its assets and "Try it out", served directly and behind a
 * proxy that serves sqlgate under a path, with and without the trailing slash; and over plain
 * HTTP at a name other than localhost (a service on a LAN: `http://db-gateway:3000/docs/`), where a
 * policy that upgrades insecure requests sent the page's assets to https:// and left it blank.
 */
t.test('the interactive docs render and run a request, directly, behind a path-prefix proxy and over plain HTTP', { skip }, async (t) => {
  // The LAN name is configured, as it must be (ALLOWED_HOSTS: test/plugins/app/edge/allowed-hosts.test.ts).
  const app = await build(t, { env: { ALLOWED_HOSTS: `localhost,${PLAIN_HOST}` } })
  const direct = `${await listen(app)}/`
  const { base: proxied, seen } = await pathProxy(t, direct.slice(0, -1), '/sqlgate')
  const plain = direct.replace('127.0.0.1', PLAIN_HOST)
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: [...FLAGS, `--host-resolver-rules=MAP ${PLAIN_HOST} 127.0.0.1`] })
  t.teardown(() => browser.close())

  for (const url of [`${direct}docs`, `${direct}docs/`, `${proxied}docs`, `${proxied}docs/`, `${plain}docs/`]) {
    const page = await browser.newPage()
    const failed: string[] = []
    page.on('response', (response) => { if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`) })
    page.on('requestfailed', (request) => failed.push(`failed ${request.url()}`))
    page.on('pageerror', (error) => failed.push(error.message))
    await page.goto(url)
    await page.waitForSelector('#operations-health-health', { timeout: 10_000 })
    t.match(await page.textContent('.info .title'), 'sqlgate', `${url}: the document's title`)

    await page.click('#operations-health-health .opblock-summary')
    await page.getByRole('button', { name: 'Try it out' }).click()
    await page.getByRole('button', { name: 'Execute' }).click()
    await page.waitForSelector('#operations-health-health .live-responses-table tbody .response-col_status', { timeout: 10_000 })
    t.equal((await page.textContent('#operations-health-health .live-responses-table tbody .response-col_status'))?.trim(), '200', `${url}: Try it out reaches GET /health`)
    t.equal(await page.textContent('#operations-health-health .request-url pre'), new URL('health', url.replace(/docs\/?$/, '')).href, `${url}: at the page's own base`)
    t.strictSame(failed, [], `${url}: every asset loaded`)
    await page.close()
  }
  t.ok(seen.includes('GET /sqlgate/health'), 'the proxy passed the tried request on')
})

/**
 * /docs gives each visitor their own session: no field of "Try it out" starts with an example id
 * (Swagger UI had filled X-Session-Id with the schema's example, and the answer set it as every
 * visitor's sid cookie: one shared session for everyone who pressed Execute).
 */
t.test('in /docs, two visitors who press Execute on the history operation see two sessions of their own', { skip }, async (t) => {
  const app = await build(t)
  const base = await listen(app)
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
  t.teardown(() => browser.close())
  const sessions: string[] = []
  for (const visitor of ['first', 'second']) {
    const context = await browser.newContext() // a cookie jar of its own
    const page = await context.newPage()
    await page.goto(`${base}/docs/`)
    const operation = '#operations-query-queryHistory'
    await page.waitForSelector(operation, { timeout: 10_000 })
    await page.click(`${operation} .opblock-summary`)
    await page.getByRole('button', { name: 'Try it out' }).click()
    const header = page.locator(`${operation} tr[data-param-name="x-session-id"] input`)
    t.equal(await header.inputValue(), '', `${visitor}: the X-Session-Id field starts empty`)
    await page.getByRole('button', { name: 'Execute' }).click()
    await page.waitForSelector(`${operation} .live-responses-table tbody .response-col_status`, { timeout: 10_000 })
    t.equal((await page.textContent(`${operation} .live-responses-table tbody .response-col_status`))?.trim(), '200', `${visitor}: answered`)
    const body = await page.textContent(`${operation} .live-responses-table tbody .response-col_description pre`)
    sessions.push((JSON.parse(body ?? '{}') as { session_id: string }).session_id)
    await context.close()
  }
  t.match(sessions[0], /^session_\d+_/, 'an issued session')
  t.not(sessions[0], sessions[1], 'each visitor has a session of their own')
})
