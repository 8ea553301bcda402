/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import t from 'tap'
import { chromium, type Browser } from 'playwright-core'
import { adminConnection, build, CHROMIUM, CHROMIUM_FLAGS as FLAGS, consoleOn, createDatabase, gridHeaders, gridRows, listen, randomSuffix, runningStatements, skipWithoutChromium as skip } from './helper.js'

/** The console's queries in a real browser: stopping one, several result sets, and an API key. */

t.test('Stop cancels a running query: it ends on the database server, and the history says so', { skip }, async (t) => {
  const app = await build(t)
  const base = `${await listen(app)}/`
  const db = await createDatabase(t)
  const admin = await adminConnection(t)
  const page = await consoleOn(t, base, db)
  t.ok(await page.isHidden('#stop'), 'no Stop button while nothing runs')

  const marker = `stop_${randomSuffix()}`
  await page.getByLabel('SQL').fill(`SELECT SLEEP(20) AS ${marker}`)
  await page.getByRole('button', { name: 'Run' }).click()
  await page.waitForSelector('#stop:not([hidden])')
  for (let i = 0; i < 50 && (await runningStatements(admin, marker)).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal((await runningStatements(admin, marker)).length, 1, 'the query runs on the database server')

  const clicked = Date.now()
  await page.getByRole('button', { name: 'Stop' }).click()
  await page.waitForSelector('#error:not([hidden])')
  t.match(await page.textContent('#error'), /^Stopped\./, 'the page says it stopped')
  t.ok(await page.isEnabled('#run'), 'Run is back')
  t.ok(await page.isHidden('#stop'))
  while ((await runningStatements(admin, marker)).length > 0 && Date.now() - clicked < 5000) await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal((await runningStatements(admin, marker)).length, 0, 'and the statement was stopped on the server, long before its 20 s')
  await page.waitForFunction(() => document.querySelector('#history li .meta')?.textContent?.endsWith('client_closed_request'))
  t.equal(await page.textContent('#history li button'), `SELECT SLEEP(20) AS ${marker}`, 'the history has it, as stopped')
})

t.test('with API_KEYS the console asks for a key and keeps it in memory only', { skip }, async (t) => {
  const key = 'console-key-0123456789'
  const app = await build(t, { env: { API_KEYS: key } })
  const base = `${await listen(app)}/`
  const db = await createDatabase(t)
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
  t.teardown(() => browser.close())
  const page = await (await browser.newContext()).newPage()
  await page.goto(base)
  await page.waitForSelector('#api-key-form:not([hidden])')
  t.match(await page.textContent('#error'), 'unauthorized', 'the refusal is shown')
  await page.getByLabel('API key').fill(key)
  await page.getByRole('button', { name: 'Use key' }).click()
  await page.waitForSelector(`#database option[value="${db}"]`, { state: 'attached' })
  t.ok(await page.isHidden('#api-key-form'), 'the key works')
  t.notMatch(await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }) + document.cookie), key, 'and is stored nowhere')
})

t.test('a CALL with several result sets shows each as its own table', { skip }, async (t) => {
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const base = `${await listen(app)}/`
  const db = await createDatabase(t, "CREATE PROCEDURE report () BEGIN SELECT 1 AS a; SELECT '<i>x</i>' AS b, NULL AS c; END")
  const page = await consoleOn(t, base, db)

  await page.getByLabel('SQL').fill('CALL report()')
  await page.getByRole('button', { name: 'Run' }).click()
  await page.waitForSelector('#more-results [role="gridcell"]')
  t.strictSame(await gridRows(page), [['1']], 'the first result set in the main grid')
  t.match(await page.textContent('#more-results p'), /^Result set 2: 1 row$/)
  t.strictSame(await gridHeaders(page, '#more-results'), ['bVARCHAR', 'cNULL'])
  t.strictSame(await gridRows(page, '#more-results'), [['<i>x</i>', 'NULL']], 'its values as text')

  await page.getByLabel('SQL').fill('SELECT 2 AS n')
  await page.getByRole('button', { name: 'Run' }).click()
  await page.waitForFunction(() => document.querySelector('#grid [role="gridcell"]')?.textContent === '2')
  t.equal(await page.locator('#more-results *').count(), 0, 'the next answer clears them')
})

t.test('Ctrl+Enter runs the statement under the cursor: a procedure with its whole body, a CALL, an error marked on its own line', { skip }, async (t) => {
  const app = await build(t, { env: { READ_ONLY: 'false' } })
  const base = `${await listen(app)}/`
  const db = await createDatabase(t)
  const page = await consoleOn(t, base, db)
  const editor = page.getByLabel('SQL')
  await editor.fill([
    'CREATE PROCEDURE twice (IN n INT)',
    'BEGIN',
    "  SELECT n AS once; # it's the first",
    '  SELECT n * 2 AS twice;',
    'END;',
    'CALL twice(21);',
    'SELECT 1--1 AS two',
    'FROM WHERE;'
  ].join('\n'))
  // The history is read again after the answer is shown: its newest entry follows a moment later.
  const lastQuery = async (expected: string) => {
    await page.waitForFunction((text) => document.querySelector('#history li button')?.textContent === text, expected, { timeout: 10_000 }).catch(() => {})
    return await page.locator('#history li button').first().textContent()
  }

  await page.keyboard.press('Control+Home')
  await page.keyboard.press('Control+Enter')
  await page.waitForFunction(() => document.querySelector('#history li button')?.textContent?.startsWith('CREATE PROCEDURE'))
  t.match(await page.locator('#history li button').first().textContent(), /^CREATE PROCEDURE twice[^]*SELECT n \* 2 AS twice;\nEND$/, 'the procedure ran whole, its body\'s semicolons and # comment included')

  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowDown')
  await page.keyboard.press('End')
  await page.keyboard.press('Control+Enter')
  await page.waitForSelector('#more-results [role="gridcell"]')
  t.equal(await lastQuery('CALL twice(21)'), 'CALL twice(21)', 'right after its semicolon, the CALL')
  t.strictSame([await gridRows(page), await gridRows(page, '#more-results')], [[['21']], [['42']]], 'and both of its result sets')

  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('Control+Enter')
  await page.waitForSelector('#error:not([hidden])')
  t.equal(await lastQuery('SELECT 1--1 AS two\nFROM WHERE'), 'SELECT 1--1 AS two\nFROM WHERE', '1--1 is no comment: the statement ends at its own semicolon')
  t.match(await page.textContent('#error'), /at line 2/, 'the server names the statement\'s line 2')
  t.equal(await page.locator('.cm-error-line').textContent(), 'FROM WHERE;', 'which is the editor\'s line 8')
})

t.test('the history marks a statement it kept only the beginning of', { skip }, async (t) => {
  const app = await build(t)
  const base = `${await listen(app)}/`
  const db = await createDatabase(t)
  const page = await consoleOn(t, base, db)
  await page.getByLabel('SQL').fill(`SELECT '${'z'.repeat(3000)}' AS long_one`)
  await page.getByRole('button', { name: 'Run' }).click()
  await page.waitForFunction(() => document.querySelector('#history li .meta') !== null)
  t.match(await page.textContent('#history li .meta'), / · statement cut$/, 'its line says so')
  t.match(await page.getAttribute('#history li button', 'title'), /^SELECT 'z+\n… \(the statement was longer/, 'and so does its whole text on hover')
})
