import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'

/**
 * Security headers on every answer, with a content security policy the console lives under:
 * its script, styles and icon come from this origin, and it talks only to this origin.
 * (The /docs pages set their own policy: @fastify/swagger-ui's staticCSP.)
 */
export default fp(async function helmetPlugin (fastify) {
  await fastify.register(helmet, {
    global: true,
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
  })
}, { name: 'helmet' })
