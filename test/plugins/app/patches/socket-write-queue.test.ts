import { once } from 'node:events'
import { createServer, connect, type Socket } from 'node:net'
import t from 'tap'
import { writeQueueSize } from '../../../../plugins/app/patches/socket-write-queue.js'

/**
 * When the first assertion fails, Node's public writableLength shows a large write's progress and
 * plugins/app/patches/socket-write-queue.ts can go; when the second fails, the patch no longer works.
 */
t.test('a large write to a slow reader: writableLength stands still, libuv\'s queue shrinks', async (t) => {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const port = (server.address() as { port: number }).port
  const accepted = once(server, 'connection') as Promise<[Socket]>
  const reader = connect(port, '127.0.0.1')
  t.teardown(() => reader.destroy())
  reader.pause()
  const [writer] = await accepted
  t.teardown(() => writer.destroy())
  writer.write(Buffer.alloc(64 * 1024 * 1024)) // far more than the socket buffers hold
  await new Promise((resolve) => setTimeout(resolve, 100))
  const [lengthBefore, queuedBefore] = [writer.writableLength, writeQueueSize(writer)]
  reader.resume() // read some, then stop again
  await new Promise((resolve) => setTimeout(resolve, 50))
  reader.pause()
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(writer.writableLength, lengthBefore, 'the public measure does not move while the write is partly taken')
  t.ok(queuedBefore > 0 && writeQueueSize(writer) < queuedBefore, `libuv's queue does (${queuedBefore} → ${writeQueueSize(writer)})`)
})
