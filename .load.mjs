import autocannon from 'autocannon'
const port = process.argv[2]; const route = process.argv[3]
const sessions = Array.from({ length: 32 }, (_, i) => `bench_prof_${i}_abcdef`)
for (const s of sessions) await fetch(`http://127.0.0.1:${port}/api/database/select`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ database_name: 'sqlgate_bench', session_id: s }) })
let n = 0
const r = await autocannon({
  url: `http://127.0.0.1:${port}`,
  connections: 32,
  duration: 8,
  requests: [route === 'query'
    ? { method: 'POST', path: '/api/query', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: JSON.stringify({ query: 'SELECT id, name, price, created_at FROM items WHERE id = 4242', session_id: sessions[n++ % 32] }) }) }
    : { method: 'GET', path: '/api/database/context', setupRequest: (req) => ({ ...req, headers: { 'x-session-id': sessions[n++ % 32] } }) }]
})
console.log(route, r.requests.average, 'req/s', 'non2xx', r.non2xx)
