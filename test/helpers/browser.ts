/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { existsSync } from 'node:fs'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

/** Debian's Chromium, for the browser tests (CHROMIUM_PATH for another one). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/** Browser tests are skipped where Chromium is absent, except in CI, which must run them (.ci/run installs it). */
export const skipWithoutChromium = !existsSync(CHROMIUM) && process.env.CI !== 'true'
  ? `browser tests need Chromium at ${CHROMIUM} (apt-get install chromium)`
  : false

/** The console at `base` in `page`, with `db` picked as its session's database. */
export async function pickDatabase (page: Page, base: string, db: string): Promise<void> {
  await page.goto(base)
  await page.waitForSelector(`#database option[value="${db}"]`, { state: 'attached' })
  await page.getByLabel('Database').selectOption(db)
  await page.waitForFunction((name) => document.getElementById('session-status')?.textContent?.includes(name), db)
}

/** A page of a new browser (with `cookies` set), closed when the test ends. */
export async function newPage (t: { teardown: (fn: () => unknown) => void }, cookies: Parameters<BrowserContext['addCookies']>[0] = []): Promise<Page> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS })
  t.teardown(() => browser.close())
  const context = await browser.newContext()
  await context.addCookies(cookies)
  return await context.newPage()
}

/** A new browser's console at `base`, with `db` picked as its session's database. */
export async function consoleOn (t: { teardown: (fn: () => unknown) => void }, base: string, db: string, cookies: Parameters<BrowserContext['addCookies']>[0] = []): Promise<Page> {
  const page = await newPage(t, cookies)
  await pickDatabase(page, base, db)
  return page
}

/** Runs `sql` in the console with the Run button, and waits for the result grid's first cell. */
export async function runQuery (page: Page, sql: string): Promise<void> {
  await page.getByLabel('SQL').fill(sql)
  await page.getByRole('button', { name: 'Run' }).click()
  await page.waitForSelector('#grid [role="gridcell"]')
}

/** The result grid's column headers (name and type). */
export const gridHeaders = (page: Page, grid = '#grid') => page.$$eval(`${grid} [role="columnheader"] .sort`, (els) => els.map((el) => el.textContent))

/** The result grid's rows in view (cell texts). */
export const gridRows = (page: Page, grid = '#grid') => page.$$eval(`${grid} .grid-spacer [role="row"]`, (trs) => trs.map((tr) => [...tr.querySelectorAll('[role="gridcell"]')].map((td) => td.textContent)))
