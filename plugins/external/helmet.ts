import fp from 'fastify-plugin'
import fastifyHelmet from '@fastify/helmet'
import helmet, { type HelmetOptions } from 'helmet'

/**
 * Security headers on every answer, with a content security policy the console lives under:
 * its script, styles and icon come from this origin, and it talks only to this origin.
 * (The /docs pages set their own policy: @fastify/swagger-ui's staticCSP.)
 */
const OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"]
    }
  },
  crossOriginResourcePolicy: { policy: 'same-site' },
  referrerPolicy: { policy: 'no-referrer' }
}

/**
 * The headers helmet(options) writes, read off once: with these options every answer gets the
 * same ones (no nonces, nothing computed from the request), so there is nothing to redo per request.
 */
export function staticHelmetHeaders (options: Readonly<HelmetOptions>): Record<string, string> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader (name: string, value: string | number | readonly string[]) { headers[name.toLowerCase()] = String(value) },
    removeHeader (name: string) { delete headers[name.toLowerCase()] }
  }
  let failed: unknown
  helmet(options)({} as never, response as never, (err?: unknown) => { failed = err })
  if (failed !== undefined) throw failed
  return headers
}

export default fp(async function helmetPlugin (fastify) {
  // @fastify/helmet gives routes reply.helmet() and per-route policies. Its global mode builds
  // helmet(options) anew on every request (@fastify/helmet 13.x), which cost about a quarter of
  // a small request's throughput here; the global headers are computed once instead, and set in
  // one step per request. A route may still replace one (the /docs pages set their own policy).
  // (@fastify/helmet is typed against helmet's CommonJS declarations, this file against its ESM ones.)
  await fastify.register(fastifyHelmet, { ...OPTIONS, global: false } as Parameters<typeof fastifyHelmet>[1])
  const headers = staticHelmetHeaders(OPTIONS)
  fastify.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers)
    done()
  })
}, { name: 'helmet' })
