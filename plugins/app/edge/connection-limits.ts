import fp from 'fastify-plugin'
import type { Socket } from 'node:net'
import { decrement, increment } from '../counts.js'
import { addressBucket } from '../session/rate-keys.js'
import { parseTrustProxy } from './client-address.js'

/** How often the connections closed for their limits are summed up in the log. */
const REPORT_EVERY_MS = 60_000

/**
 * The connections the server holds open, bounded. A connection costs a file descriptor and about
 * 10 kB whether or not it carries requests, and the request rate limits do not see one that sends
 * none, or one request a minute to stay open: without a bound, one client holding thousands of
 * idle connections takes the memory, and the descriptors the database and Redis connections need,
 * from every other client.
 *
 * - CONNECTIONS_MAX: all clients together (Node's `server.maxConnections`; Node closes those past it).
 * - CONNECTIONS_PER_ADDRESS_MAX: one client address (an IPv6 address for its /56, as rate limits
 *   count it); a connection past it is closed as it arrives, before anything is read of it. Behind
 *   a proxy (TRUST_PROXY) the peer is the proxy, so no count per address is kept: the proxy is where
 *   connections per client are bounded.
 *
 * Connections closed for either limit are counted, and the count is logged once a minute.
 */
export default fp(async function connectionLimitsPlugin (fastify) {
  const { CONNECTIONS_MAX, CONNECTIONS_PER_ADDRESS_MAX, TRUST_PROXY } = fastify.config
  const server = fastify.server
  server.maxConnections = CONNECTIONS_MAX
  const refused = { overall: 0, perAddress: 0, addresses: new Set<string>() }
  server.on('drop', () => { refused.overall++ })

  if (parseTrustProxy(TRUST_PROXY) === false) {
    const held = new Map<string, number>()
    server.on('connection', (socket: Socket) => {
      // A socket that is gone by now has no peer; it needs no count.
      const address = socket.remoteAddress
      if (address === undefined) return
      const bucket = addressBucket(address)
      if ((held.get(bucket) ?? 0) >= CONNECTIONS_PER_ADDRESS_MAX) {
        refused.perAddress++
        refused.addresses.add(bucket)
        socket.destroy()
        return
      }
      increment(held, bucket)
      socket.once('close', () => { decrement(held, bucket) })
    })
  }

  const report = setInterval(() => {
    if (refused.overall === 0 && refused.perAddress === 0) return
    fastify.log.warn({ overall: refused.overall, perAddress: refused.perAddress, addresses: refused.addresses.size, CONNECTIONS_MAX, CONNECTIONS_PER_ADDRESS_MAX },
      'connections closed as they arrived: their limits were reached')
    refused.overall = 0
    refused.perAddress = 0
    refused.addresses.clear()
  }, REPORT_EVERY_MS)
  report.unref()
  fastify.addHook('onClose', async () => { clearInterval(report) })
}, { name: 'connection-limits', dependencies: ['config'] })
