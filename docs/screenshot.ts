/**
 * npm run docs:screenshot: docs/console.png, the workbench as an analyst sees it, taken in Debian's
 * Chromium from a service built from this checkout (the console built first), against the local
 * Redis and MariaDB.
 */
import { chromium } from 'playwright-core'
import Fastify from 'fastify'
import mysql from 'mysql2/promise'
import app, { serverOptions } from '../app.js'
import { loadConfig } from '../config.js'

const DATABASE = 'sqlgate_screenshot'
const admin = await mysql.createConnection({ uri: process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306', multipleStatements: true })
await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}; CREATE DATABASE ${DATABASE}; USE ${DATABASE};
  CREATE TABLE orders (id INT PRIMARY KEY, placed_on DATE, region VARCHAR(10), customer VARCHAR(40), total DECIMAL(10,2), note VARCHAR(40));
  INSERT INTO orders SELECT seq, '2026-11-01' + INTERVAL (seq % 30) DAY, ELT(1 + seq % 3, 'north', 'south', 'east'), CONCAT('customer ', seq % 97), (seq * 37 % 1000) / 10, IF(seq % 5 = 0, NULL, 'gift wrap') FROM seq_1_to_5000;
  CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(40), since DATE)`)
const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn', COOKIE_SECRET: 'screenshot-secret-screenshot-secret-0001' })
const server = Fastify(serverOptions(config))
await server.register(app, { config })
await server.listen({ port: 0, host: '127.0.0.1' })
const address = server.server.address()
const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] })
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
await page.goto(base)
await page.waitForSelector(`#database option[value="${DATABASE}"]`, { state: 'attached' })
await page.getByLabel('Database').selectOption(DATABASE)
await page.getByRole('tree', { name: 'Schema' }).getByRole('treeitem', { name: /orders/ }).locator('.name').first().click()
for (const sql of ['SELECT region, COUNT(*) AS orders FROM orders GROUP BY region', 'SELECT id, placed_on, region, customer, total, note FROM orders ORDER BY total DESC']) {
  await page.getByLabel('SQL').click()
  await page.keyboard.press('Control+a')
  await page.keyboard.insertText(sql)
  await page.keyboard.press('Escape')
  await page.getByRole('button', { name: 'Run' }).click()
  await page.waitForSelector('#results:not([hidden])')
}
await page.waitForTimeout(300)
await page.screenshot({ path: new URL('console.png', import.meta.url).pathname })
await browser.close()
await server.close()
await admin.query(`DROP DATABASE ${DATABASE}`)
await admin.end()
console.log('wrote docs/console.png')
