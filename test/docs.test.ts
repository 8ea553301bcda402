/// <reference lib="dom" />
import t from 'tap'
import { chromium, type Browser } from 'playwright-core'
import { build, CHROMIUM, CHROMIUM_FLAGS as FLAGS, listen, pathProxy, skipWithoutChromium as skip } from './helper.js'

/**
 * /docs in a real browser: the page, its assets and "Try it out", served directly and behind a
 * proxy that serves sqlgate under a path, with and without the trailing slash.
 */
t.test('the interactive docs render and run a request, directly and behind a path-prefix proxy', { skip }, async (t) => {
  const app = await build(t)
  const direct = `${await listen(app)}/`
  const { base: proxied, seen } = await pathProxy(t, direct.slice(0, -1), '/sqlgate')
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
  t.teardown(() => browser.close())

  for (const url of [`${direct}docs`, `${direct}docs/`, `${proxied}docs`, `${proxied}docs/`]) {
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
