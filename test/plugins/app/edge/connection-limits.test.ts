import t, { type Test } from 'tap'
import { connect, type Socket } from 'node:net'
import { build, listen } from '../../../helper.js'

/**
 * Connections held open are bounded per client address and in all (plugins/app/edge/
 * connection-limits.ts): one client opening connections and sending nothing, or one request each
 * to keep them open, cannot take the server's memory and descriptors from the others.
 */

/** A connection to `base`, open (connected), closed by the test's end. */
async function open (t: Test, base: string): Promise<Socket> {
  const { hostname, port } = new URL(base)
  const socket = connect(Number(port), hostname)
  t.teardown(() => { socket.destroy() })
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  return socket
}

/** Whether the server closes `socket` within `ms` (it sends nothing before closing it). */
function closedWithin (socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    socket.once('close', () => { clearTimeout(timer); resolve(true) })
    socket.on('error', () => {})
  })
}

/** One GET /health over `socket`, kept alive; its status. */
function health (socket: Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    socket.once('data', (chunk: Buffer) => resolve(Number(chunk.toString('latin1').split(' ')[1])))
    socket.once('error', reject)
    socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n')
  })
}

t.test('one client address holds at most CONNECTIONS_PER_ADDRESS_MAX connections; the next is closed as it arrives', async (t) => {
  const app = await build(t, { env: { CONNECTIONS_PER_ADDRESS_MAX: '3' } })
  const base = await listen(app)
  const held = [await open(t, base), await open(t, base), await open(t, base)]
  t.equal(await health(held[0]!), 200, 'a held connection carries requests')
  const fourth = await open(t, base)
  t.equal(await closedWithin(fourth, 2000), true, 'the fourth is closed, nothing read of it')
  t.equal(await health(held[1]!), 200, 'the held ones still serve')

  held[2]!.destroy()
  await new Promise((resolve) => setTimeout(resolve, 100))
  const again = await open(t, base)
  t.equal(await closedWithin(again, 300), false, 'one closed, a new one is taken')
  t.equal(await health(again), 200)
})

t.test('behind a proxy (TRUST_PROXY) connections are not counted per address', async (t) => {
  const app = await build(t, { env: { CONNECTIONS_PER_ADDRESS_MAX: '2', TRUST_PROXY: '1' } })
  const base = await listen(app)
  const sockets = [await open(t, base), await open(t, base), await open(t, base), await open(t, base)]
  for (const socket of sockets) t.equal(await health(socket), 200)
})

t.test('all clients together hold at most CONNECTIONS_MAX connections', async (t) => {
  const app = await build(t, { env: { CONNECTIONS_MAX: '2' } })
  const base = await listen(app)
  const held = [await open(t, base), await open(t, base)]
  const third = await open(t, base)
  t.equal(await closedWithin(third, 2000), true, 'the third is closed')
  t.equal(await health(held[0]!), 200)
})
