import fp from 'fastify-plugin'
import { AppError } from '../errors/errors.js'

/**
 * The headers the gateway reads that a request names once (RFC 9110 defines each as a single
 * value), by their lower-case names. Of several, Node keeps the first and drops the others, while
 * a proxy, firewall or log in front may read the last: the Host it routed by, the Content-Type it
 * decoded the body as, the Authorization it checked would then not be the ones this service acts
 * on. Headers Node joins instead (X-Session-Id, Origin, Cookie) arrive as one list, which their
 * own checks read whole.
 */
const SINGLE = new Map([['host', 'Host'], ['content-type', 'Content-Type'], ['authorization', 'Authorization']])

/** The first header of SINGLE that `rawHeaders` (name, value, name, value, …) names more than once, or null. */
export function repeatedHeader (rawHeaders: readonly string[]): string | null {
  let seen: Set<string> | null = null
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    // Most headers differ in length from all three: they are not lower-cased.
    if (name.length !== 4 && name.length !== 12 && name.length !== 13) continue
    const lower = name.toLowerCase()
    const single = SINGLE.get(lower)
    if (single === undefined) continue
    seen ??= new Set()
    if (seen.has(lower)) return single
    seen.add(lower)
  }
  return null
}

/**
 * Refuses a request that names one of those headers twice, before anything else reads it (the
 * host check among them): `400 invalid_request`, nothing read, nothing run. Registered after the
 * security headers and CORS, so its answer has them.
 */
export default fp(async function singleHeadersPlugin (fastify) {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const repeated = repeatedHeader(request.raw.rawHeaders)
    done(repeated === null
      ? undefined
      : new AppError('invalid_request', `The request names the ${repeated} header more than once. It is a single value: a proxy or log in front may have read another of them than this service would. Nothing was read or run.`))
  })
}, { name: 'single-headers' })
