import fp from 'fastify-plugin'
import { AppError } from '../errors/errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The client's address (behind a trusted proxy, the one the proxy names), read once as the request arrives. */
    clientAddress: string
  }
}

/**
 * Fastify's `trustProxy` from TRUST_PROXY: false, true, a hop count, or a list of proxy
 * addresses/CIDRs. False: the connection's peer is the client (./connection-limits.ts counts
 * connections per peer then only).
 */
export function parseTrustProxy (value: string): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (value === 'false' || value === '') return false
  if (value === 'true') return true
  if (/^\d+$/.test(value)) {
    const hops = Number(value)
    return (_address, hop) => hop < hops
  }
  return value.split(',').map((item) => item.trim()).filter((item) => item.length > 0)
}

const CLIENT_GONE = new AppError('client_closed_request', 'The client closed its connection before its request could be read.')

/**
 * `request.clientAddress`: the address that every count per client address (requests, new
 * sessions, sessions read by URL, export tickets) is kept under, read once, as the request
 * arrives, by the first hook of all. Read later, Fastify's `request.ip` is undefined once the
 * client has closed its connection (a socket that is gone has no peer), so a count kept under it
 * would fail, as a 500 logged with its stack, for every request whose client resets its
 * connection right after sending it. A request whose address cannot be read even as it arrives
 * has lost its client, and is not served.
 */
export default fp(async function clientAddressPlugin (fastify) {
  fastify.decorateRequest('clientAddress', '')
  fastify.addHook('onRequest', (request, _reply, done) => {
    const address: string | undefined = request.ip
    if (address === undefined) return done(CLIENT_GONE)
    request.clientAddress = address
    done()
  })
}, { name: 'client-address' })
