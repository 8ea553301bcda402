import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { build, createDatabase, selectedSession } from '../../../helper.js'

const LARGE = "SELECT REPEAT('a', 3000000) AS v"

/** How long `session`'s large answer takes from `remoteAddress`, in ms. */
async function timed (app: FastifyInstance, remoteAddress: string, session: string): Promise<number> {
  const asked = performance.now()
  const res = await app.inject({ method: 'POST', url: '/api/query', remoteAddress, payload: { query: LARGE, session_id: session } })
  if (res.statusCode !== 200) throw new Error(res.body.slice(0, 300))
  return performance.now() - asked
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/**
 * Large answers are written in the answer lane's turns by client address, then by answer
 * (plugins/app/query/answer-lane.ts): a client keeping forty 3 MB answers in the lane does not put
 * another client's one behind all forty. By answer, the other client's answer took 1.1 to 1.9 s
 * here against 55 to 70 ms alone; by client, 90 to 360 ms.
 */
t.test('another client\'s large answer is written beside one client\'s forty, not behind them', async (t) => {
  const app = await build(t, { env: { RATE_LIMIT_MAX: '100000', RATE_LIMIT_ADDRESS_MAX: '100000' } })
  const db = await createDatabase(t)
  const hog = await Promise.all(Array.from({ length: 10 }, () => selectedSession(app, db)))
  const other = await selectedSession(app, db)
  const alone = median([await timed(app, '198.51.100.9', other), await timed(app, '198.51.100.9', other), await timed(app, '198.51.100.9', other)])

  const flood = { on: true }
  let answered = 0
  const flooding = hog.flatMap((session) => [0, 1, 2, 3].map(async () => {
    while (flood.on) {
      await timed(app, '203.0.113.7', session)
      answered++
    }
  }))
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const beside: number[] = []
  for (let i = 0; i < 5; i++) beside.push(await timed(app, '198.51.100.9', other))
  flood.on = false
  await Promise.all(flooding)
  t.ok(answered >= 20, `the client had ${answered} large answers written meanwhile`)
  const bound = 4 * alone + 300
  t.ok(median(beside) < bound, `the other client's answer took ${beside.map(Math.round).join(', ')} ms beside them (alone ${Math.round(alone)} ms; bound ${Math.round(bound)})`)
})
