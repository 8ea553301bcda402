import t from 'tap'
import { build } from './helper.js'

t.test('GET /openapi.json documents every route with its error answers', async (t) => {
  const app = await build(t)
  const res = await app.inject({ url: '/openapi.json' })
  t.equal(res.statusCode, 200)
  const doc = res.json()
  t.match(doc.openapi, /^3\./)
  const expected: Record<string, string[]> = {
    '/health': ['get'],
    '/ready': ['get'],
    '/api/database/list': ['get'],
    '/api/database/select': ['post'],
    '/api/database/context': ['get', 'delete'],
    '/api/database/context/{session_id}': ['get'],
    '/api/database/schema': ['get'],
    '/api/query': ['post'],
    '/api/query/history': ['get']
  }
  for (const [path, methods] of Object.entries(expected)) {
    for (const method of methods) {
      const operation = doc.paths[path]?.[method]
      t.ok(operation, `${method.toUpperCase()} ${path} is documented`)
      t.ok(operation?.summary, `${method.toUpperCase()} ${path} has a summary`)
      t.ok(operation?.responses?.['200'], `${method.toUpperCase()} ${path} documents 200`)
      if (path.startsWith('/api/')) t.ok(operation?.responses?.['429'], `${method.toUpperCase()} ${path} documents 429 (every /api route is rate-limited)`)
      t.ok(operation?.responses?.['403'], `${method.toUpperCase()} ${path} documents 403 (host_not_allowed: ALLOWED_HOSTS is checked on a loopback HOST)`)
    }
  }
  const operationIds = Object.values(doc.paths).flatMap((item) => Object.values(item as Record<string, { operationId?: string }>).map((operation) => operation.operationId))
  t.strictSame(operationIds.filter((id) => typeof id !== 'string' || !/^[a-z][A-Za-z]+$/.test(id)), [], 'every operation has an operationId, what generated clients name their methods by')
  t.equal(new Set(operationIds).size, operationIds.length, 'each its own')
  t.equal(doc.paths['/api/query'].post.operationId, 'runQuery')
  for (const status of ['400', '403', '409', '503', '504']) {
    t.ok(doc.paths['/api/query'].post.responses[status], `the query route documents ${status}`)
  }
  t.ok(doc.paths['/api/database/select'].post.responses['404'], 'select documents 404')
  t.ok(doc.components.schemas.Error, 'the error envelope is a named component')
  t.notOk(doc.paths['/openapi.json'], 'the document does not list itself')
  const headerParam = doc.paths['/api/query'].post.parameters?.find((p: { name: string }) => p.name === 'x-session-id')
  t.equal(headerParam?.in, 'header', 'the X-Session-Id header is described')
})

t.test('GET /docs serves the interactive documentation', async (t) => {
  const app = await build(t)
  const res = await app.inject({ url: '/docs/' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /html/)
  // Over plain HTTP at a LAN name, upgrade-insecure-requests sent the page's assets to https://.
  const policy = String(res.headers['content-security-policy'])
  t.notMatch(policy, /upgrade-insecure-requests/, 'the docs work over plain HTTP (test/docs.test.ts loads them so)')
  t.match(policy, /frame-ancestors 'none'/, 'and are not framed, as no page is')
  t.match(policy, /script-src 'self'/, "the rest of @fastify/swagger-ui's policy stays")

  // Relative, so that the page works behind a proxy serving sqlgate under a path (test/docs.test.ts).
  const bare = await app.inject({ url: '/docs?x=1' })
  t.equal(bare.statusCode, 302, '/docs redirects to /docs/, whose links are relative')
  t.equal(bare.headers.location, 'docs/?x=1')
  t.strictSame((await app.inject({ url: '/docs/json' })).json().servers, [{ url: '..', description: 'this service, where these docs are served' }],
    "the page's document sends Try it out next to itself")
  t.equal((await app.inject({ url: '/openapi.json' })).json().servers, undefined, 'the document for clients names no server')
})
