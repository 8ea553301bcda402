/// <reference lib="dom" />
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { chromium, type Page } from 'playwright-core'
import { build, CHROMIUM, CHROMIUM_FLAGS as FLAGS, consoleOn, createDatabase, gridRows, listen, skipWithoutChromium as skip } from './helper.js'

/** The editor's text as the editor holds it. */
const editorText = (page: Page) => page.$eval('.cm-content', (el) => (el as HTMLElement).innerText.replace(/\u00a0/g, ' ').replace(/[\u200b\n]+$/, ''))

/** Replaces the editor's text, typed as a user types. */
async function type (page: Page, text: string): Promise<void> {
  await page.getByLabel('SQL').click()
  await page.keyboard.press('Control+a')
  await page.keyboard.insertText(text)
}

async function run (page: Page, sql: string): Promise<void> {
  await type(page, sql)
  await page.getByRole('button', { name: 'Run' }).click()
  await page.waitForSelector('#results:not([hidden]), #error:not([hidden])')
}

t.test('the workbench: schema, completion, a 10,000-row grid, sorting, chart, history search, reload', { skip }, async (t) => {
  const app = await build(t, { env: { QUERY_MAX_ROWS_LIMIT: '20000' } })
  const base = `${await listen(app)}/`
  const db = await createDatabase(t, `CREATE TABLE sales (id INT PRIMARY KEY, sold_on DATE, region VARCHAR(10), amount DECIMAL(10,2) COMMENT 'in euros', note VARCHAR(20));
    CREATE TABLE regions (name VARCHAR(10) PRIMARY KEY);
    CREATE TABLE notes (region VARCHAR(10), CONSTRAINT note_region FOREIGN KEY (region) REFERENCES regions (name)) COMMENT 'free text';
    INSERT INTO sales SELECT seq, '2026-01-01' + INTERVAL (seq % 30) DAY, ELT(1 + seq % 3, 'north', 'south', 'east'), seq % 1000 / 10, IF(seq % 7 = 0, NULL, IF(seq % 11 = 0, '', 'x')) FROM seq_1_to_10000`)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
  t.teardown(() => browser.close())
  const page = await (await browser.newContext({ acceptDownloads: true })).newPage()
  await page.goto(base)
  await page.waitForSelector(`#database option[value="${db}"]`, { state: 'attached' })
  await page.getByLabel('Database').selectOption(db)

  // Schema browser: the table, opened to its columns with types and keys; a click inserts a name.
  const tree = page.getByRole('tree', { name: 'Schema' })
  await tree.getByRole('treeitem', { name: /sales/ }).waitFor()
  await tree.getByRole('treeitem', { name: /sales/ }).locator('.name').first().click()
  t.match(await tree.textContent(), /amountdecimal\(10,2\)/, 'columns with their types')
  t.match(await tree.textContent(), /idint\(11\) · primary key · not null/, 'and keys')
  t.equal(await tree.getByRole('treeitem', { name: /^amount/ }).getAttribute('title'), 'in euros', 'a column\'s comment is its tooltip')
  t.equal(await tree.locator('[aria-level="1"]', { has: page.locator('.name', { hasText: /^notes$/ }) }).getAttribute('title'), 'free text', 'and a table\'s')
  t.match(await editorText(page), /^sales$/, 'a click inserts the name at the cursor')
  t.match(await tree.textContent(), /regionvarchar\(10\) · indexed → regions\.name/, 'a foreign key names what it references')

  // Completion offers the database's tables.
  await type(page, 'SELECT * FROM sal')
  await page.waitForSelector('.cm-tooltip-autocomplete')
  t.match(await page.textContent('.cm-tooltip-autocomplete'), 'sales', 'completion offers the table')
  await page.locator('.cm-tooltip-autocomplete li', { hasText: /^sales/ }).click()
  t.equal(await editorText(page), 'SELECT * FROM sales')
  // Running a statement dismisses the list: the next Enter starts a new line, it does not take the suggestion.
  await type(page, 'SELECT * FROM sal')
  await page.waitForSelector('.cm-tooltip-autocomplete')
  await page.getByLabel('SQL').press('Control+Enter')
  await page.waitForSelector('#error:not([hidden])')
  t.equal(await page.locator('.cm-tooltip-autocomplete').count(), 0, 'Ctrl+Enter closes the completion list')
  await page.keyboard.press('Enter')
  await page.keyboard.insertText('LIMIT 1')
  t.equal(await editorText(page), 'SELECT * FROM sal\nLIMIT 1', 'Enter after running starts a new line')
  // Run clicked the moment the last letter is typed, before the list has opened.
  await type(page, '')
  await page.keyboard.type('SELECT * FROM sal')
  await page.getByRole('button', { name: 'Run' }).click()
  await page.waitForSelector('#run:not([disabled])')
  await page.waitForTimeout(300)
  t.equal(await page.locator('.cm-tooltip-autocomplete').count(), 0, 'and so does a click on Run')

  // Max rows and Timeout next to Run: the service's defaults, within its limits.
  t.equal(await page.getAttribute('#max-rows', 'max'), '20000', 'Max rows up to QUERY_MAX_ROWS_LIMIT')
  t.equal(await page.inputValue('#max-rows'), '1000', 'QUERY_MAX_ROWS by default')
  t.equal(await page.getAttribute('#timeout', 'max'), '60', 'Timeout up to QUERY_TIMEOUT_MAX_MS, in seconds')
  // Max rows next to Run; 10,000 rows in a grid that holds few of them in the page.
  await page.getByLabel('Max rows').fill('10000')
  const started = Date.now()
  await run(page, 'SELECT id, sold_on, region, amount, note FROM sales ORDER BY id')
  const rendered = Date.now() - started
  const grid = page.getByRole('grid')
  t.equal(await grid.getAttribute('aria-rowcount'), '10001', '10,000 rows (and the header)')
  const inPage = await page.locator('#grid [role="row"]').count()
  t.ok(inPage < 120, `${inPage} rows in the page`)
  t.comment(`10,000 rows: answer and first paint in ${rendered} ms`)
  t.equal(await page.textContent('#grid [aria-rowindex="2"] [role="rowheader"]'), '1', 'rows are numbered')
  t.ok(await page.locator('#grid [role="gridcell"].number').first().isVisible(), 'numbers are right-aligned (their cells marked)')
  t.equal(await page.locator('#grid [aria-rowindex="8"] [role="gridcell"].null').textContent(), 'NULL', 'NULL drawn apart')
  t.equal(await page.locator('#grid [aria-rowindex="12"] [role="gridcell"]').nth(4).textContent(), '', 'the empty string is empty')
  await page.locator('#grid .grid-body').evaluate((el) => { el.scrollTop = el.scrollHeight })
  await page.waitForSelector('#grid [aria-rowindex="10001"]')
  t.ok(await page.locator('#grid [role="row"]').count() < 120, 'scrolled to the end, still few rows in the page')

  // Sorting: numbers as numbers, both ways.
  await page.getByTitle('Sort by amount').click()
  await page.locator('#grid .grid-body').evaluate((el) => { el.scrollTop = 0 })
  await page.waitForSelector('#grid [aria-rowindex="2"]')
  t.equal(await page.getAttribute('#grid [role="columnheader"]:has(button[title="Sort by amount"])', 'aria-sort'), 'ascending')
  t.equal(await page.locator('#grid [aria-rowindex="2"] [role="gridcell"]').nth(3).textContent(), '0.00')
  await page.getByTitle('Sort by amount').click()
  t.equal(await page.locator('#grid [aria-rowindex="2"] [role="gridcell"]').nth(3).textContent(), '99.90', 'descending: 99.90 before 100 would be text order, 99.90 is the largest')

  // A selection copies as tab-separated values (NULL as an empty field).
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
  await page.locator('#grid [aria-rowindex="2"] [role="gridcell"]').nth(2).click()
  await page.keyboard.press('Shift+ArrowRight')
  await page.keyboard.press('Shift+ArrowDown')
  await page.keyboard.press('Control+c')
  const copied = await page.evaluate(() => navigator.clipboard.readText())
  const expected = await page.$$eval('#grid [aria-rowindex="2"], #grid [aria-rowindex="3"]', (rows) => rows.map((row) => [...row.querySelectorAll('[role="gridcell"]')].slice(2, 4).map((cell) => cell.textContent).join('\t')).join('\n'))
  t.equal(copied, expected, `the selection as TSV: ${JSON.stringify(copied)}`)

  // A new result starts at the top.
  await page.locator('#grid .grid-body').evaluate((el) => { el.scrollTop = 50_000 })
  await run(page, 'SELECT sold_on, SUM(amount) AS total FROM sales GROUP BY sold_on ORDER BY sold_on')
  t.equal(await page.locator('#grid .grid-body').evaluate((el) => el.scrollTop), 0, 'scroll reset for a new result')

  // Chart: a date and a number make a line; saved as PNG.
  await page.getByRole('tab', { name: 'Chart' }).click()
  const chart = page.getByRole('region', { name: 'Chart' })
  await chart.locator('canvas').waitFor()
  t.equal(await page.inputValue('#chart-chart-type'), 'line', 'a line, for a date and a number')
  t.match(await chart.locator('canvas').getAttribute('aria-label'), 'line chart of total by sold_on')
  // Each label stays on its control's line, however the toolbars wrap; a narrower window keeps the
  // editor wide and moves the history below it.
  for (const width of [1280, 1024, 700]) {
    await page.setViewportSize({ width, height: 720 })
    const [editorBox, historyBox, schemaBox] = await Promise.all(['#editor', '#history-title', '#schema-title'].map((selector) => page.locator(selector).boundingBox()))
    if (width === 1280) t.ok(historyBox!.x > editorBox!.x + editorBox!.width, 'at 1280 px the history is beside the editor')
    else t.ok(editorBox!.width > width * 0.6 && historyBox!.y > editorBox!.y + editorBox!.height, `at ${width} px the editor is ${Math.round(editorBox!.width)} px wide, the history below it`)
    if (width === 700) t.ok(schemaBox!.y + schemaBox!.height < editorBox!.y, 'at 700 px the schema is above the editor, not over it')
    for (const id of ['max-rows', 'timeout', 'chart-chart-type', 'chart-x', 'chart-y']) {
      const [label, control] = [await page.locator(`label[for="${id}"]`).boundingBox(), await page.locator(`#${id}`).boundingBox()]
      const middle = label!.y + label!.height / 2
      t.ok(middle > control!.y && middle < control!.y + control!.height, `${id}'s label stays on its control's line, ${width} px wide`)
    }
  }
  const [png] = await Promise.all([page.waitForEvent('download'), chart.getByRole('button', { name: 'Save PNG' }).click()])
  t.equal((await readFile((await png.path())!)).subarray(1, 4).toString(), 'PNG', 'a PNG file')
  await page.getByRole('tab', { name: 'Table' }).click()

  // The error's line is marked.
  await run(page, 'SELECT 1\nFROM sales\nWHERE WHERE')
  t.match(await page.textContent('#error'), 'at line 3')
  t.equal(await page.locator('.cm-error-line').count(), 1, 'its line is marked in the editor')

  // Columns as wide as their first values need, within bounds; a cut value's whole text is its cell's tooltip.
  await run(page, "SELECT NOW(6) AS ts, REPEAT('wide ', 200) AS long_text, 'two\\nlines' AS two_lines")
  const cell = (col: number) => page.locator('#grid [aria-rowindex="2"] [role="gridcell"]').nth(col)
  t.ok(await cell(0).evaluate((el) => el.scrollWidth <= el.clientWidth), 'a DATETIME(6) value shows whole')
  t.equal(await cell(0).getAttribute('title'), null, 'and has no tooltip')
  t.ok(await cell(1).evaluate((el) => el.clientWidth <= 360), 'a long value\'s column stays within 360 px')
  t.equal(await cell(1).getAttribute('title'), 'wide '.repeat(200), 'its whole text is the tooltip')
  t.equal(await cell(2).getAttribute('title'), 'two\nlines', 'so is a value of two lines (a row shows one)')

  // History: search, then reload: the editor's text and the session are kept.
  await page.getByLabel('Search history').fill('GROUP BY')
  t.equal(await page.locator('#history li').count(), 1, 'the search keeps the matching entry')
  t.match(await page.textContent('#history li .meta time'), /\d/, 'with its time')
  await type(page, 'SELECT COUNT(*) AS n FROM sales')
  await page.reload()
  await page.waitForFunction((name) => document.getElementById('session-status')?.textContent?.includes(name), db)
  t.equal(await editorText(page), 'SELECT COUNT(*) AS n FROM sales', 'the editor\'s text is kept across a reload')
  await page.getByLabel('SQL').press('Control+Enter')
  await page.waitForSelector('#grid [role="gridcell"]')
  t.equal(await page.textContent('#grid [role="gridcell"]'), '10000', 'Ctrl+Enter runs it, in the session\'s database')
})

t.test('the schema tree writes names the server reads as names: keywords and odd names in backticks, by click and by Enter alike', { skip }, async (t) => {
  const app = await build(t)
  const base = `${await listen(app)}/`
  const db = await createDatabase(t, 'CREATE TABLE `order` (`key` INT, `a b` INT, `x``y` INT, amount INT); INSERT INTO `order` VALUES (1, 2, 3, 4)')
  const page = await consoleOn(t, base, db)
  const tree = page.getByRole('tree', { name: 'Schema' })
  /** The tree's item whose own label is `label`. */
  const item = (label: string) => tree.getByRole('treeitem').filter({ has: page.locator(':scope > .name', { hasText: new RegExp(`^${label.replace('`', '.')}$`) }) })
  const table = item('order')
  await table.waitFor()
  await type(page, '')
  await table.locator('.name').first().click()
  t.equal(await editorText(page), '`order`', 'a reserved word, clicked (which opens the table)')

  await type(page, 'SELECT ')
  for (const column of ['key', 'a b', 'x`y', 'amount']) {
    // The first column by click, the others by Enter on the focused item.
    if (column === 'key') {
      await item(column).locator(':scope > .name').click()
    } else {
      await item(column).focus()
      await page.keyboard.press('Enter')
    }
    await page.keyboard.insertText(column === 'amount' ? ' FROM ' : ', ')
  }
  await table.focus()
  await page.keyboard.press('Enter')
  t.equal(await editorText(page), 'SELECT `key`, `a b`, `x``y`, amount FROM `order`', 'keywords and names with spaces or backticks quoted, plain names bare')
  await page.getByRole('button', { name: 'Run' }).click()
  await page.waitForSelector('#grid [role="gridcell"]')
  t.strictSame(await gridRows(page), [['1', '2', '3', '4']], 'and the statement runs')

  // Completion writes them so too.
  await type(page, 'SELECT * FROM ord')
  await page.locator('.cm-tooltip-autocomplete li', { hasText: /^order/ }).click()
  await page.keyboard.insertText(' WHERE `order`.')
  await page.locator('.cm-tooltip-autocomplete li', { hasText: /^key/ }).click()
  t.equal(await editorText(page), 'SELECT * FROM `order` WHERE `order`.`key`', 'completion quotes a table and a column named by keywords')
})
