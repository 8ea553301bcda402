import t from 'tap'
import { Writable } from 'node:stream'
import Fastify, { type FastifyServerOptions } from 'fastify'
import { RequestLogController } from '../../../../plugins/app/logging/log-controller.js'

t.test('through Fastify: one line per request, with the request id; a mixin is honoured', async (t) => {
  for (const mixin of [undefined, () => ({ region: 'eu' })]) {
    const lines: Array<Record<string, unknown>> = []
    const stream = new Writable({
      write (chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
        done()
      }
    })
    const options: FastifyServerOptions = { logger: { level: 'info', stream, ...(mixin === undefined ? {} : { mixin }) }, logController: new RequestLogController() }
    const app = Fastify(options)
    app.get('/things/:id', async () => ({ ok: true }))
    t.teardown(() => app.close())
    await app.inject({ url: '/things/42?secret=1' })
    await app.inject({ url: '/nothing/"here"' })
    await new Promise((resolve) => setImmediate(resolve))
    const requests = lines.filter((l) => l.msg === 'request')
    t.equal(requests.length, 2, 'one line each')
    t.match(requests[0], { level: 30, reqId: String, method: 'GET', route: '/things/:id', status: 200, ms: Number }, 'the route pattern')
    t.match(requests[1], { route: '/nothing/%22here%22', status: 404 }, 'an unmatched URL, escaped as sent')
    t.notMatch(JSON.stringify(lines), 'secret=1', 'no query string')
    if (mixin !== undefined) t.equal(requests[0]?.region, 'eu', 'the mixin field is there')
  }
})

t.test('below info, no request line', async (t) => {
  const written: string[] = []
  const app = Fastify({ logger: { level: 'warn', stream: { write (line: string) { written.push(line) } } }, logController: new RequestLogController() })
  app.get('/', async () => ({ ok: true }))
  t.teardown(() => app.close())
  await app.inject({ url: '/' })
  t.equal(written.filter((line) => line.includes('"msg":"request"')).length, 0)
})
