import t from 'tap'
import { Writable } from 'node:stream'
import Fastify, { type FastifyServerOptions } from 'fastify'
import { pino } from 'pino'
import { serverOptions } from '../../app.js'
import { canWriteDirectly, formatRequestLine, RequestLogController, type RequestLine } from '../../lib/log-controller.js'
import { testConfig } from '../helper.js'

/** The production logger settings (level, redaction), writing into `lines`. */
function productionLogger (lines: string[], extra: pino.LoggerOptions = {}): pino.Logger {
  const { level, redact } = serverOptions(testConfig({ LOG_LEVEL: 'info' })).logger as pino.LoggerOptions
  const stream = { write (line: string) { lines.push(line) } }
  return pino({ level, redact, ...extra }, stream)
}

const LINES: RequestLine[] = [
  { method: 'GET', route: '/api/database/context', status: 200, ms: 0.4, session: '0123456789ab' },
  { method: 'POST', route: '/api/query', status: 409, ms: 12, session: undefined },
  // A 404 logs the URL the client sent: quotes, backslashes, control characters, non-ASCII, long.
  { method: 'GET', route: '/api/"x"\\y\n\u0001\u00e9\u2028\ud800/' + 'z'.repeat(60), status: 404, ms: 0.1, session: undefined },
  { method: 'DELETE', route: '/', status: 500, ms: Number.NaN, session: 'ffff' },
  { method: 'GET', route: '/tab\there/\u007f/caf\u00e9', status: 404, ms: 3.25, session: 'a"b\\c' }
]

t.test('the request line is byte for byte what pino writes for info(line, "request")', async (t) => {
  const settings: Array<[string, pino.LoggerOptions]> = [
    ['production settings', {}],
    ['level labels', { formatters: { level: (label) => ({ level: label }) } }]
  ]
  for (const [name, options] of settings) {
    const written: string[] = []
    const log = productionLogger(written, { ...options, timestamp: () => ',"time":1700000000000' }).child({ reqId: 'req-7' })
    t.ok(canWriteDirectly(log), `${name}: the direct path`)
    const internals = log as unknown as Record<symbol, unknown>
    for (const [i, line] of LINES.entries()) {
      log.info({ ...line }, 'request')
      for (const matched of [false, true]) {
        const direct = formatRequestLine((internals[pino.symbols.lsCacheSym] as Record<number, string>)[30]!, ',"time":1700000000000',
          internals[pino.symbols.chindingsSym] as string, line, matched)
        t.equal(direct, written.at(-1), `${name}: same text for line ${i}${matched ? ' (a route pattern)' : ''}`)
        t.doesNotThrow(() => JSON.parse(direct), 'valid JSON')
      }
    }
  }
})

t.test('settings that change the line keep pino\'s own path', async (t) => {
  const cases: Array<[string, pino.LoggerOptions]> = [
    ['a mixin', { mixin: () => ({ region: 'eu' }) }],
    ['a message prefix', { msgPrefix: '[api] ' }],
    ['another message key', { messageKey: 'message' }],
    ['a log formatter', { formatters: { log: (obj) => ({ ...obj, extra: true }) } }],
    ['a redacted route', { redact: ['route'] }],
    ['a logMethod hook', { hooks: { logMethod (args, method) { method.apply(this, args) } } }]
  ]
  for (const [name, options] of cases) {
    t.notOk(canWriteDirectly(productionLogger([], options).child({ reqId: 'req-1' })), name)
  }
})

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
