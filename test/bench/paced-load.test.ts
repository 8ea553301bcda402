import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pacedLoad } from '../../bench/paced-load.js'

t.test('BENCH_RATE paces its requests evenly over the second, not as bursts', async (t) => {
  const arrivals: number[] = []
  const bodies = new Set<string>()
  const server = createServer((req, res) => {
    arrivals.push(performance.now())
    let body = ''
    req.on('data', (chunk: Buffer) => { body += chunk.toString('utf8') })
    req.on('end', () => {
      bodies.add(body)
      res.writeHead(req.url === '/fail' ? 500 : 200).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const rate = 400
  const seconds = 1.5
  const result = await pacedLoad(`${url}/`, { method: 'POST', body: (i) => `{"client":${i}}` }, rate, 8, seconds)
  t.equal(result.requests, rate * seconds, 'the rate, exactly')
  t.equal(result.errors + result.non2xx, 0)
  t.equal(bodies.size, 8, 'each client sends its own body')
  // autocannon's rate would send each connection's share of a second at once: about 400 in the
  // first few milliseconds. Paced, a 100 ms window holds its share (40); the bound leaves room for
  // a busy machine's late timers, whose clients then catch up.
  const start = arrivals[0]!
  const perWindow = new Map<number, number>()
  for (const at of arrivals) perWindow.set(Math.floor((at - start) / 100), (perWindow.get(Math.floor((at - start) / 100)) ?? 0) + 1)
  const busiest = Math.max(...perWindow.values())
  t.ok(busiest <= 120, `at most 120 requests in any 100 ms (${busiest})`)
  t.ok(result.latenciesMs.every((ms) => ms > 0), 'every request has its latency')

  const failing = await pacedLoad(`${url}/fail`, {}, 100, 2, 0.2)
  t.equal(failing.non2xx, failing.requests, 'answers outside 2xx are counted')
})
