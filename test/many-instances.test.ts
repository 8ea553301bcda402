import { createServer, request as httpRequest, type Server } from 'node:http'
import t, { type Test } from 'tap'
import { build, createDatabase, listen, randomSessionId, testConfig } from './helper.js'

/** An HTTP proxy on loopback that sends each request to the next backend in turn. */
async function roundRobin (t: Test, ports: number[]) {
  let next = 0
  const served: number[] = []
  const proxy: Server = createServer((req, res) => {
    const port = ports[next++ % ports.length]!
    served.push(port)
    const upstream = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstream.on('error', () => { res.writeHead(502).end() })
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => proxy.close(() => resolve())))
  const address = proxy.address()
  return { url: `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`, served }
}

t.test('three instances behind a round-robin proxy: a browser (cookie jar) and an API client', async (t) => {
  const config = testConfig()
  const apps = [await build(t, { config }), await build(t, { config }), await build(t, { config })]
  const ports = (await Promise.all(apps.map(listen))).map((base) => Number(new URL(base).port))
  const { url, served } = await roundRobin(t, ports)
  const [dbA, dbB] = [await createDatabase(t, "CREATE TABLE t (v VARCHAR(5)); INSERT INTO t VALUES ('A')"), await createDatabase(t, "CREATE TABLE t (v VARCHAR(5)); INSERT INTO t VALUES ('B')")]

  // A browser-like client: it sends back whatever cookie it was given, nothing else.
  let jar = ''
  const browser = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: { ...(jar === '' ? {} : { cookie: jar }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    const setCookie = res.headers.get('set-cookie')
    if (setCookie !== null) jar = setCookie.split(';')[0]!
    return await res.json() as Record<string, any>
  }
  // An API client: it names its own session in every request.
  const apiSession = randomSessionId()
  const api = async (path: string, body: Record<string, unknown>) => {
    const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, session_id: apiSession }) })
    return await res.json() as Record<string, any>
  }

  const browserSession = (await browser('POST', '/api/database/select', { database_name: dbA })).session_id
  await api('/api/database/select', { database_name: dbB })
  const rounds = 12
  for (let i = 0; i < rounds; i++) {
    const [fromBrowser, fromApi] = await Promise.all([
      browser('POST', '/api/query', { query: `SELECT v, ${i} AS i FROM t` }),
      api('/api/query', { query: `SELECT v, ${i} AS i FROM t` })
    ])
    t.strictSame([fromBrowser.session_id, fromBrowser.rows], [browserSession, [{ v: 'A', i }]], `browser request ${i}`)
    t.strictSame([fromApi.session_id, fromApi.rows], [apiSession, [{ v: 'B', i }]], `API request ${i}`)
  }
  t.strictSame(new Set(served).size, 3, 'requests landed on all three instances')

  const browserHistory = await browser('GET', '/api/query/history')
  t.equal(browserHistory.queries.length, rounds, 'nothing lost: every browser query is in its history')
  t.ok(browserHistory.queries.every((q: { query: string }) => q.query.startsWith('SELECT v,')))
  t.equal((await browser('GET', '/api/database/context')).database_context.database_name, dbA, 'nothing mixed up')
})
