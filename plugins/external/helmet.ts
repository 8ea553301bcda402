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

export default fp(async function helmetPlugin (fastify) {
  // @fastify/helmet gives routes reply.helmet() and per-route policies. Its global mode builds
  // helmet(options) anew on every request (@fastify/helmet 13.x), which cost about a quarter of
  // a small request's throughput here; the global headers come from one middleware built once.
  // (@fastify/helmet is typed against helmet's CommonJS declarations, this file against its ESM ones.)
  await fastify.register(fastifyHelmet, { ...OPTIONS, global: false } as Parameters<typeof fastifyHelmet>[1])
  const applyHeaders = helmet(OPTIONS)
  fastify.addHook('onRequest', (request, reply, done) => {
    applyHeaders(request.raw, reply.raw, (err?: unknown) => { done(err as Error | undefined) })
  })
}, { name: 'helmet' })
