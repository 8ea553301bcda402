import t, { type Test } from 'tap'
import { once } from 'node:events'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { build, createDatabase, selectedSession } from '../../../helper.js'

/** A client that asks for one answer and reads none of it (until told to), and the server's end of its connection. */
async function unreadQuery (app: Awaited<ReturnType<typeof build>>, port: number, body: string): Promise<{ client: Socket, serverSide: Socket }> {
  const accepted = once(app.server, 'connection') as Promise<[Socket]>
  const client = connect(port, '127.0.0.1')
  client.on('error', () => {})
  client.write(`POST /api/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  client.pause()
  const [serverSide] = await accepted
  return { client, serverSide }
}

/** A listening service with UNREAD_ANSWERS_MAX_BYTES = `budget`, and the body of a query whose answer is 24 MB. */
async function largeAnswers (t: Test, budget: number, logs: Array<Record<string, unknown>> = []) {
  const app = await build(t, { logs, env: { UNREAD_ANSWERS_MAX_BYTES: String(budget), QUERY_MAX_RESULT_BYTES: String(64 << 20), QUERY_MAX_ROWS_LIMIT: '2000' } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const sessionId = await selectedSession(app, await createDatabase(t))
  // More than the kernel's buffers of both ends of a connection take, so Node holds most of it.
  const body = JSON.stringify({ query: "SELECT REPEAT('x', 12000) AS pad FROM seq_1_to_2000", max_rows: 2000, session_id: sessionId })
  return { app, port, body }
}

const closedWithin = async (socket: Socket, ms: number): Promise<boolean> =>
  socket.destroyed || await Promise.race([once(socket, 'close').then(() => true), sleep(ms).then(() => false)])

/**
 * Reads the rest of `client`'s answer at full speed, after what it read already (`chunks`, its
 * head first), and returns the answer's JSON once its Content-Length has arrived.
 */
async function readAnswer (client: Socket, chunks: Buffer[] = []): Promise<unknown> {
  client.on('data', (chunk: Buffer) => chunks.push(chunk))
  client.resume()
  const complete = () => {
    const head = chunks[0]?.toString('latin1') ?? ''
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1])
    const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0)
    return head.includes('\r\n\r\n') && total >= head.indexOf('\r\n\r\n') + 4 + length
  }
  for (let i = 0; i < 200 && !complete(); i++) await sleep(50)
  const received = Buffer.concat(chunks)
  return JSON.parse(received.subarray(received.indexOf('\r\n\r\n') + 4).toString())
}

t.test('past UNREAD_ANSWERS_MAX_BYTES, the connections whose answers stood still longest are closed; the last one is kept and read whole', async (t) => {
  const logs: Array<Record<string, unknown>> = []
  const { app, port, body } = await largeAnswers(t, 1 << 20, logs)
  const warnings = () => logs.filter((line) => line.level === 40 && String(line.msg).includes('UNREAD_ANSWERS_MAX_BYTES'))

  const first = await unreadQuery(app, port, body)
  t.teardown(() => first.client.destroy())
  t.notOk(await closedWithin(first.serverSide, 1500), 'one unread answer over the budget is kept: nothing else is held')
  t.strictSame(warnings(), [], 'and nothing is said about it')

  const second = await unreadQuery(app, port, body)
  t.teardown(() => second.client.destroy())
  t.ok(await closedWithin(first.serverSide, 10_000), 'a second one closes the first, which stood still longer')
  t.notOk(second.serverSide.destroyed, 'and keeps the second')

  const third = await unreadQuery(app, port, body)
  t.teardown(() => third.client.destroy())
  t.ok(await closedWithin(second.serverSide, 10_000), 'a third closes the second')
  t.strictSame(warnings().map((line) => line.dropped_connections), [1, 1], 'one warning line for each connection closed')
  t.ok(warnings().every((line) => Number(line.unread_bytes) > (1 << 20) && line.limit === 1 << 20), 'with what was held, and the limit')

  // The one kept is whole: its client reads it to the end.
  const answer = await readAnswer(third.client) as { row_count: number, rows: Array<{ pad: string }> }
  t.equal(answer.row_count, 2000, 'the kept answer arrives whole')
  t.equal(answer.rows[1999]!.pad.length, 12000)
  t.notOk(third.serverSide.destroyed, 'on its keep-alive connection')

  // Closed connections are forgotten.
  third.client.destroy()
  await closedWithin(third.serverSide, 5000)
  for (let i = 0; i < 40 && app.unreadAnswers.size > 0; i++) await sleep(50)
  t.equal(app.unreadAnswers.size, 0, 'no connection is remembered after it closed')
})

t.test('answers under the budget are all kept, and a client that reads gets its answer while others do not read', async (t) => {
  const { app, port, body } = await largeAnswers(t, 256 << 20)
  const waiting = [await unreadQuery(app, port, body), await unreadQuery(app, port, body)]
  t.teardown(() => { for (const { client } of waiting) client.destroy() })

  const res = await fetch(`http://127.0.0.1:${port}/api/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  t.equal((await res.json() as { row_count: number }).row_count, 2000)
  await sleep(1500) // a look or two
  t.ok(waiting.every(({ serverSide }) => !serverSide.destroyed), 'under the budget, no unread answer is dropped before REQUEST_TIMEOUT_MS')
})

t.test('past the budget, a client that reads its answer slowly keeps its connection; those that do not read are closed', async (t) => {
  const { app, port, body } = await largeAnswers(t, 1 << 20)
  // 24 MB, asked for first: were its progress not seen, it would have stood still longest. More
  // than the kernel's buffers take (about 10 MB a connection) and the reader reads in the test's
  // first seconds together, so the server still holds some of it when the other is closed.
  const slow = await unreadQuery(app, port, body)
  t.teardown(() => slow.client.destroy())
  const chunks: Buffer[] = []
  // 16 kB every 10 ms: well under what the connection could carry, a few seconds for the answer.
  const reading = setInterval(() => {
    const chunk = slow.client.read(16384) as Buffer | null
    if (chunk !== null) chunks.push(chunk)
  }, 10)
  t.teardown(() => clearInterval(reading))
  await sleep(200)
  const idle = await unreadQuery(app, port, body)
  t.teardown(() => idle.client.destroy())

  t.ok(await closedWithin(idle.serverSide, 10_000), 'the connection that does not read is closed')
  const readSoFar = chunks.reduce((sum, chunk) => sum + chunk.length, 0)
  t.notOk(slow.serverSide.destroyed, `the one reading slowly is kept (${readSoFar} bytes read so far)`)
  t.ok(readSoFar < 14_000_000, 'while it was still reading')

  // The rest at full speed: the answer is whole.
  clearInterval(reading)
  const answer = await readAnswer(slow.client, chunks) as { row_count: number }
  t.equal(answer.row_count, 2000, 'and its answer arrives whole')
})

t.test('two pipelined large answers on one connection both count toward the budget', async (t) => {
  // Three 36 MB answers unread: two pipelined on one connection, one on another. The kernel takes
  // up to about 10 MB of each connection's; the rest, counted whole (72-100 MB), passes a 78 MiB
  // budget and the pipelined connection (still longest) is closed; counting only one answer per
  // connection (55-68 MB), they would seem to fit.
  const large = await largeAnswers(t, 78 << 20)
  const { app, port } = large
  const body = large.body.replace("REPEAT('x', 12000)", "REPEAT('x', 18000)")
  const accepted = once(app.server, 'connection') as Promise<[Socket]>
  const pipelined = connect(port, '127.0.0.1')
  pipelined.on('error', () => {})
  t.teardown(() => pipelined.destroy())
  const request = `POST /api/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  pipelined.write(request + request)
  pipelined.pause()
  const [pipelinedSide] = await accepted
  await sleep(1000)
  const single = await unreadQuery(app, port, body)
  t.teardown(() => single.client.destroy())
  t.ok(await closedWithin(pipelinedSide, 10_000), 'the connection holding two answers is closed')
  t.notOk(single.serverSide.destroyed, 'the other is kept')
})
