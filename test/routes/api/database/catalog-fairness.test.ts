import t from 'tap'
import { build, createDatabase, selectedSession } from '../../../helper.js'

/**
 * Catalog reads (list, select, schema, and the names an error may have meant) take their turns
 * for the pool per client address (plugins/app/database/catalog.ts): one client describing a
 * large schema over and over from many sessions does not make another client's first step,
 * selecting its database, wait behind all of it.
 */
t.test('one client flooding GET /api/database/schema does not hold back another client\'s POST /api/database/select', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_MAX: '100000', RATE_LIMIT_ADDRESS_MAX: '100000' } })
  const columns = Array.from({ length: 12 }, (_, j) => `c${j} INT`).join(', ')
  const big = await createDatabase(t, Array.from({ length: 300 }, (_, i) => `CREATE TABLE t${i} (${columns})`).join(';\n'))
  const small = await createDatabase(t, 'CREATE TABLE one (id INT)')
  const sessions = await Promise.all(Array.from({ length: 8 }, () => selectedSession(app, big)))
  const describe = (session: string) =>
    app.inject({ url: '/api/database/schema', headers: { 'x-session-id': session }, remoteAddress: '203.0.113.7' })

  const flood = { on: true }
  let described = 0
  const flooding = sessions.flatMap((session) => [0, 1, 2, 3].map(async () => {
    while (flood.on) {
      const res = await describe(session)
      if (res.statusCode === 200) described++
    }
  }))
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const waits: number[] = []
  for (let i = 0; i < 5; i++) {
    const asked = performance.now()
    const res = await app.inject({ method: 'POST', url: '/api/database/select', payload: { database_name: small }, remoteAddress: '198.51.100.9' })
    waits.push(Math.round(performance.now() - asked))
    t.equal(res.statusCode, 200, res.statusCode === 200 ? 'selected' : res.body)
  }
  flood.on = false
  await Promise.all(flooding)
  t.ok(described > 10, `the flood described the schema ${described} times`)
  const median = waits.sort((a, b) => a - b)[2]!
  // Behind the flood's 32 describes in one turn, a select waited 0.5 to 1 s here.
  t.ok(median < 300, `the other client's select took ${waits.join(', ')} ms (median ${median})`)
})
