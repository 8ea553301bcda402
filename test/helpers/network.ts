import { once } from 'node:events'
import { createServer, request } from 'node:http'
import * as net from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import type { TestContext } from './context.js'

/** A free TCP port on loopback (closed again, so a server can take it). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

/**
 * A connected pair over loopback: the server's end (`writer`) and a client that reads nothing
 * until the test resumes it (`reader`). Both closed when the test ends.
 */
export async function loopbackPair (t: TestContext): Promise<{ writer: Socket, reader: Socket }> {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const accepted = once(server, 'connection') as Promise<[Socket]>
  const reader = net.connect((server.address() as AddressInfo).port, '127.0.0.1')
  reader.on('error', () => {})
  t.teardown(() => reader.destroy())
  reader.pause()
  const [writer] = await accepted
  t.teardown(() => writer.destroy())
  return { writer, reader }
}

/**
 * A TCP proxy on loopback in front of `target`, that a test can break: `cut()` destroys every
 * open connection and refuses new ones until `heal()`. Closed when the test ends.
 */
export async function tcpProxy (t: TestContext, target: { host: string, port: number }) {
  const sockets = new Set<Socket>()
  /** Each server side, with its client. */
  const upstreams = new Map<Socket, Socket>()
  let broken = false
  const server = net.createServer((client) => {
    if (broken) {
      client.destroy()
      return
    }
    const upstream = net.connect(target.port, target.host)
    sockets.add(client)
    sockets.add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream)
    upstream.pipe(client)
    upstreams.set(upstream, client)
    upstream.once('close', () => upstreams.delete(upstream))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return {
    port,
    /** Live connections through the proxy (each client and upstream side counts once). */
    connections: () => sockets.size / 2,
    cut () {
      broken = true
      for (const socket of sockets) socket.destroy()
      sockets.clear()
    },
    /** The server's answers stop reaching the clients of the connections open now; nothing is closed. */
    stall () {
      for (const upstream of upstreams.keys()) upstream.unpipe()
    },
    /** The stalled answers go on to their clients, those held back first. */
    resume () {
      for (const [upstream, client] of upstreams) upstream.pipe(client)
    },
    heal () {
      broken = false
    }
  }
}

/**
 * A reverse proxy that serves `upstream` under `path` (`/sqlgate`): `/sqlgate/x` is passed on as
 * `/x`, anything else answered 404 by the proxy itself. Its base URL (with the path and a trailing
 * slash), and the requests it passed on, as `METHOD /sqlgate/x`.
 */
export async function pathProxy (t: TestContext, upstream: string, path: string): Promise<{ base: string, seen: string[] }> {
  const target = new URL(upstream)
  const seen: string[] = []
  const proxy = createServer((req, res) => {
    if (req.url?.startsWith(`${path}/`) !== true) {
      res.writeHead(404).end('not behind the proxy')
      return
    }
    seen.push(`${req.method!} ${req.url}`)
    const forward = request({ host: target.hostname, port: target.port, method: req.method, path: req.url.slice(path.length), headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode!, answer.headers)
      answer.pipe(res)
    })
    req.pipe(forward)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { proxy.closeAllConnections(); proxy.close(() => resolve()) }))
  return { base: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${path}/`, seen }
}
