/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import t from 'tap'
import { chromium, type Browser, type Page } from 'playwright-core'
import { build, CHROMIUM, CHROMIUM_FLAGS as FLAGS, consoleOn, createDatabase, gridHeaders, gridRows, listen, pathProxy, runQuery, skipWithoutChromium as skip } from './helper.js'

const editorText = (page: Page) => page.$eval('.cm-content', (el) => (el as HTMLElement).innerText.replace(/\u00a0/g, ' ').replace(/[\u200b\n]+$/, ''))

t.test('the console in a real browser, on the cookie session alone', { skip }, async (t) => {
  const app = await build(t)
  const base = `${await listen(app)}/`
  const db = await createDatabase(t, `CREATE TABLE items (id BIGINT PRIMARY KEY, name VARCHAR(20), price DECIMAL(8,2));
    INSERT INTO items VALUES (9007199254740993, '<b>bold</b>', 1.50), (2, NULL, 20.00)`)

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
  t.teardown(() => browser.close())
  const context = await browser.newContext()
  const page: Page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('console', (message) => {
    // A refused query is an HTTP error the page handles; anything else is a bug.
    // Chrome's own editing puts an inline style on a line of the editor when typed text replaces
    // a selection; the policy refuses it (as it should) and CodeMirror draws the line again.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource') && !message.text().startsWith('Applying inline style violates')) pageErrors.push(message.text())
  })
  const status = () => page.textContent('#session-status')

  await page.goto(base)
  await page.waitForSelector(`#database option[value="${db}"]`, { state: 'attached' })
  // The database list and the session's context are two requests; either may answer first.
  await page.waitForFunction(() => document.getElementById('session-status')?.textContent !== 'Loading…')
  t.match(await status(), 'No database selected', 'a new browser has no database yet')

  await page.getByLabel('Database').selectOption(db)
  await page.waitForFunction((name) => document.getElementById('session-status')?.textContent?.includes(name), db)

  await runQuery(page, 'SELECT id, name, price FROM items ORDER BY price')
  t.strictSame(await gridHeaders(page), ['idBIGINT', 'nameVARCHAR', 'priceDECIMAL'], 'column names with their types')
  t.strictSame(await gridRows(page),
    [['9007199254740993', '<b>bold</b>', '1.50'], ['2', 'NULL', '20.00']], 'exact values, markup shown as text')
  t.equal(await page.locator('#grid b').count(), 0, 'no HTML from the data was rendered')
  t.match(await page.textContent('#result-meta'), /^2 rows in [\d.]+ ms/, 'row count and execution time')
  t.ok(await page.isHidden('#truncated'), 'no truncation notice when all rows fit')

  await page.getByLabel('SQL').fill('SELECT a.id, b.id, b.name FROM items a LEFT JOIN items b ON b.id = a.id + 1 ORDER BY a.id')
  await page.getByRole('button', { name: 'Run' }).click()
  await page.waitForFunction(() => document.querySelectorAll('#grid [role="columnheader"] .sort')[1]?.textContent === 'idBIGINT')
  t.strictSame(await gridHeaders(page), ['idBIGINT', 'idBIGINT', 'nameVARCHAR'], 'columns that share a name, as the server named them')
  t.strictSame(await gridRows(page),
    [['2', 'NULL', 'NULL'], ['9007199254740993', 'NULL', 'NULL']], 'each with its own values')

  await page.getByLabel('SQL').fill("SELECT JSON_OBJECT('id', id, 'price', price) AS doc FROM items WHERE id > 2")
  await page.getByRole('button', { name: 'Run' }).click()
  await page.waitForFunction(() => document.querySelector('#grid [role="columnheader"] .sort')?.textContent === 'docJSON')
  t.equal(await page.textContent('#grid [role="gridcell"]'), '{"id":9007199254740993,"price":1.50}', 'a JSON value shown with every digit')

  await page.getByLabel('SQL').fill('SELECT seq FROM seq_1_to_1500')
  await page.getByLabel('SQL').press('Control+Enter')
  await page.waitForSelector('#truncated:not([hidden])')
  t.match(await page.textContent('#truncated'), 'Only the first 1000 rows', 'a visible notice when the result was cut')
  t.equal(await page.getAttribute('#grid [role="grid"]', 'aria-rowcount'), '1001', 'the grid holds 1,000 rows (and its header)')
  t.ok(await page.locator('#grid [role="row"]').count() < 100, 'only the rows in view are in the page')
  t.ok(await page.isHidden('#warnings'), 'no warnings shown when there are none')

  await page.getByLabel('SQL').fill('DELETE FROM items')
  await page.getByRole('button', { name: 'Run' }).click()
  await page.waitForSelector('#error:not([hidden])')
  const refusal = await page.textContent('#error')
  t.match(refusal, 'this console is read-only', 'a refused write says why')
  t.match(refusal, 'read_only_violation', 'with the server\'s code')

  t.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is HttpOnly: invisible to scripts')
  t.notMatch(await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage })), /session_|sid=/, 'no session id in web storage (only the editor\'s text, per tab)')
  const cookies = await context.cookies()
  t.strictSame(cookies.map((c) => [c.name, c.httpOnly, c.sameSite]), [['sid', true, 'Lax']])

  await page.reload()
  await page.waitForFunction((name) => document.getElementById('session-status')?.textContent?.includes(name), db)
  t.equal(await page.inputValue('#database'), db, 'after a reload the session\'s database is selected again')
  // The page reads the context and the history at once: the history may be drawn after the status.
  await page.locator('#history li button').nth(4).waitFor()
  const history = await page.$$eval('#history li button', (buttons) => buttons.map((b) => b.textContent))
  t.strictSame(history, ['DELETE FROM items', 'SELECT seq FROM seq_1_to_1500', "SELECT JSON_OBJECT('id', id, 'price', price) AS doc FROM items WHERE id > 2",
    'SELECT a.id, b.id, b.name FROM items a LEFT JOIN items b ON b.id = a.id + 1 ORDER BY a.id', 'SELECT id, name, price FROM items ORDER BY price'], 'history, newest first')
  await page.locator('#history li button').nth(4).click()
  t.equal(await editorText(page), 'SELECT id, name, price FROM items ORDER BY price', 'a click puts a query back in the editor')
  // A draft that is not in the history is kept: the statement goes after it, ready to run.
  const draft = '-- draft\nSELECT 1;\nSELECT 2 AS two -- not run yet'
  await page.getByLabel('SQL').fill(draft)
  await page.locator('#history li button').nth(1).click()
  const lines = await page.$$eval('.cm-line', (divs) => divs.map((div) => div.textContent))
  t.strictSame(lines, [...draft.split('\n'), ';', '', 'SELECT seq FROM seq_1_to_1500'], 'a click after a draft adds the query after it')
  await page.getByLabel('SQL').press('Control+Enter')
  // The history is read again once the answer is shown.
  await page.waitForFunction(() => document.querySelectorAll('#history li').length === 6)
  t.equal(await page.textContent('#history li button'), 'SELECT seq FROM seq_1_to_1500', 'and Ctrl+Enter runs it, the cursor at its end')

  await page.getByLabel('SQL').fill("SELECT 'abc' + 0 AS n")
  await page.getByRole('button', { name: 'Run' }).click()
  await page.waitForSelector('#warnings:not([hidden])')
  t.equal(await page.textContent('#warnings li'), "Warning 1292: Truncated incorrect DOUBLE value: 'abc'", 'the statement\'s warnings under its result')

  const stranger = await (await browser.newContext()).newPage()
  await stranger.goto(base)
  await stranger.waitForSelector(`#database option[value="${db}"]`, { state: 'attached' })
  await stranger.getByLabel('SQL').fill('SELECT 1')
  await stranger.getByRole('button', { name: 'Run' }).click()
  await stranger.waitForSelector('#error:not([hidden])')
  t.match(await stranger.textContent('#error'), 'Pick a database first', 'another browser has its own session, and is told what to do')
  t.equal(await stranger.locator('#history li').count(), 0, 'and its own (empty) history')

  t.strictSame(pageErrors, [], 'no page errors')
})

t.test('behind a proxy that serves sqlgate under a path, the console works there', { skip }, async (t) => {
  const app = await build(t)
  const db = await createDatabase(t, 'CREATE TABLE items (id INT); INSERT INTO items VALUES (7)')
  const { base, seen } = await pathProxy(t, await listen(app), '/sqlgate')

  const page = await consoleOn(t, base, db)
  const pageErrors: string[] = []
  page.on('pageerror', (error) => pageErrors.push(error.message))
  await runQuery(page, 'SELECT id FROM items')
  t.strictSame(await gridRows(page), [['7']], 'a query runs through the proxy')
  for (const path of ['GET /sqlgate/api/database/list', 'POST /sqlgate/api/database/select', 'POST /sqlgate/api/query']) {
    t.ok(seen.includes(path), `${path}, under the proxy's path`)
  }
  t.ok(seen.some((path) => /^GET \/sqlgate\/assets\/index-[\w-]+\.js$/.test(path)), 'the script, under the proxy\'s path')
  t.ok(seen.some((path) => /^GET \/sqlgate\/assets\/index-[\w-]+\.css$/.test(path)), 'the styles, under the proxy\'s path')
  t.strictSame(pageErrors, [], 'no page errors')
})

t.test('behind a path-prefix proxy with COOKIE_PATH, the session cookie stays apart from another application\'s sid on the host', { skip }, async (t) => {
  const app = await build(t, { env: { COOKIE_PATH: '/sqlgate/' } })
  const db = await createDatabase(t, 'CREATE TABLE items (id INT); INSERT INTO items VALUES (7)')
  const { base } = await pathProxy(t, await listen(app), '/sqlgate')
  // Another application on the same host, with a session cookie of the same name.
  const page = await consoleOn(t, base, db, [{ name: 'sid', value: 'other-application-session', domain: new URL(base).hostname, path: '/', httpOnly: true, sameSite: 'Lax' }])
  await page.reload()
  await page.waitForFunction((name) => document.getElementById('session-status')?.textContent?.includes(name), db)
  await runQuery(page, 'SELECT id FROM items')
  t.strictSame(await gridRows(page), [['7']], 'the session keeps its database across a reload')
  const cookies = (await page.context().cookies()).filter((cookie) => cookie.name === 'sid').map((cookie) => [cookie.path, cookie.value === 'other-application-session'])
  t.strictSame(cookies.sort(), [['/', true], ['/sqlgate/', false]], "the other application's cookie is untouched; sqlgate's lives under its path")
})

t.test('a browser that keeps using its session past the idle lifetime keeps its cookie, and its database', { skip }, async (t) => {
  // SESSION_TTL_SECONDS is the idle lifetime: use refreshes it in Redis, but the cookie is set once.
  const app = await build(t, { env: { SESSION_TTL_SECONDS: '2', SESSION_MAX_AGE_SECONDS: '120' } })
  const base = `${await listen(app)}/`
  const db = await createDatabase(t)
  const page = await consoleOn(t, base, db)

  const query = (): Promise<{ status: number, body: { database_name?: string, code?: string } }> => page.evaluate(async () => {
    const res = await fetch('api/query', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": "SELECT 1"}' })
    return { status: res.status, body: await res.json() }
  })
  for (let i = 0; i < 6; i++) { // 3.6 s of use, one query every 0.6 s: never idle for 2 s
    t.equal((await query()).body.database_name, db, `query ${i + 1}: the session's database`)
    await new Promise((resolve) => setTimeout(resolve, 600))
  }
  await new Promise((resolve) => setTimeout(resolve, 2500))
  t.match(await query(), { status: 409, body: { code: 'database_context_missing' } }, 'idle for longer than its lifetime, the session has ended')
})
