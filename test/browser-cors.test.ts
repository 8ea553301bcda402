/// <reference lib="dom" />
import { createServer } from 'node:http'
import t, { type Test } from 'tap'
import { chromium } from 'playwright-core'
import { build, CHROMIUM, CHROMIUM_FLAGS, createDatabase, listen, skipWithoutChromium as skip } from './helper.js'

/** A page of another origin (another port), the frontend or agent that calls sqlgate. */
async function otherOrigin (t: Test): Promise<string> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>frontend</title>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const address = server.address()
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
}

/**
 * A browser page on that other origin, and sqlgate (allowing the origin) with a database whose
 * table `items` holds one row, `id`.
 */
async function crossOriginPage (t: Test, id: number) {
  const origin = await otherOrigin(t)
  const app = await build(t, { env: { CORS_ORIGINS: origin } })
  const api = await listen(app)
  const db = await createDatabase(t, `CREATE TABLE items (id INT); INSERT INTO items VALUES (${id})`)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  await page.goto(origin)
  return { page, api, db }
}

t.test('a browser MCP client on an allowed origin: initialize, read its Mcp-Session-Id, call a tool', { skip }, async (t) => {
  // The MCP session header must be exposed to the page and allowed in the preflight of every
  // later call; the rate-limit headers are readable too.
  const { page, api, db } = await crossOriginPage(t, 7)
  // Page code as text: the test runner's compiler would name its inner functions with a helper the page does not have.
  const outcome = await page.evaluate(`(async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
    const rpc = async (body, session) => {
      const res = await fetch(${JSON.stringify(`${api}/mcp`)}, {
        method: 'POST',
        credentials: 'include',
        headers: session === undefined ? headers : { ...headers, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' },
        body: JSON.stringify(body)
      })
      return { res, text: await res.text() }
    }
    try {
      const init = await rpc({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'browser', version: '1.0.0' } } })
      const session = init.res.headers.get('mcp-session-id')
      if (session === null) return { error: 'Mcp-Session-Id not readable', remaining: null, rows: null }
      await rpc({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)
      await rpc({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'select_database', arguments: { database_name: ${JSON.stringify(db)} } } }, session)
      const query = await rpc({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'run_query', arguments: { query: 'SELECT id FROM items' } } }, session)
      return { error: null, remaining: query.res.headers.get('x-ratelimit-remaining'), rows: JSON.parse(query.text).result.structuredContent.rows }
    } catch (err) {
      return { error: String(err), remaining: null, rows: null }
    }
  })()`) as { error: string | null, remaining: string | null, rows: unknown }

  t.equal(outcome.error, null)
  t.strictSame(outcome.rows, [{ id: 7 }], 'the tool ran in the MCP session, across the origin')
  t.match(outcome.remaining, /^\d+$/, 'the rate-limit headers are readable')
})

t.test('a frontend on an allowed origin carries its session in X-Session-Id', { skip }, async (t) => {
  const { page, api, db } = await crossOriginPage(t, 8)
  const rows = await page.evaluate(`(async () => {
    const post = async (path, body, session) => (await fetch(${JSON.stringify(api)} + path, {
      method: 'POST',
      credentials: 'include',
      headers: { 'content-type': 'application/json', ...(session === undefined ? {} : { 'x-session-id': session }) },
      body: JSON.stringify(body)
    })).json()
    const selected = await post('/api/database/select', { database_name: ${JSON.stringify(db)} })
    return (await post('/api/query', { query: 'SELECT id FROM items' }, selected.session_id)).rows
  })()`)
  t.strictSame(rows, [{ id: 8 }])
})
