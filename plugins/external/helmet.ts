import fp from 'fastify-plugin'
import fastifyHelmet from '@fastify/helmet'
import { API_HEADERS, API_PREFIX, PAGE_HEADERS, PAGE_OPTIONS } from '../../lib/security-headers.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which security headers the route's answers get (set for every route by this plugin). */
    securityHeaders?: 'api' | 'page'
  }
}

export default fp(async function helmetPlugin (fastify) {
  // @fastify/helmet gives routes reply.helmet() and per-route policies. Its global mode builds
  // helmet(options) anew on every request (@fastify/helmet 13.x), which cost about a quarter of
  // a small request's throughput here; the headers are computed once instead, and set in one step
  // per request. A route may still replace one (the /docs pages set their own policy).
  // (@fastify/helmet is typed against helmet's CommonJS declarations, this file against its ESM ones.)
  await fastify.register(fastifyHelmet, { ...PAGE_OPTIONS, global: false } as Parameters<typeof fastifyHelmet>[1])
  // Each route is marked when it is registered, from its path, not from the request's URL (which
  // can spell the same route differently, /%61pi/...). The headers are set in an onRequest hook
  // registered before the plugins that can end a request early, so their answers (a missing API
  // key's 401) have them too; an answer no route matched (404) gets the page set.
  fastify.addHook('onRoute', (route) => {
    route.config = { ...route.config, securityHeaders: route.url.startsWith(API_PREFIX) ? 'api' : 'page' }
  })
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.routeOptions.config.securityHeaders === 'api' ? API_HEADERS : PAGE_HEADERS)
    done()
  })
}, { name: 'helmet' })
