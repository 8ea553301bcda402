import fp from 'fastify-plugin'
import { API_HEADERS, PAGE_HEADERS, isDataRoute } from '../app/edge/security-headers.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which security headers the route's answers get (set for every route by this plugin). */
    securityHeaders?: 'api' | 'page'
  }
}

/**
 * Security headers: helmet's, computed once (plugins/app/edge/security-headers.ts) and set in one step per
 * request.
 *
 * Not through @fastify/helmet: its global mode builds helmet(options) anew on every request
 * (13.x), and even with `global: false` it adds two onRequest hooks to every route (one async,
 * building a reply.helmet() closure per request) that nothing here uses (docs/performance.md has
 * their cost). A route that needs its own policy sets it (the /docs pages set @fastify/swagger-ui's).
 */
export default fp(async function helmetPlugin (fastify) {
  // Each route is marked when it is registered, from its path, not from the request's URL (which
  // can spell the same route differently, /%61pi/...). The headers are set in an onRequest hook
  // registered before the plugins that can end a request early, so their answers (a missing API
  // key's 401) have them too; an answer no route matched (404) gets the page set.
  fastify.addHook('onRoute', (route) => {
    route.config = { ...route.config, securityHeaders: isDataRoute(route.url) ? 'api' : 'page' }
  })
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.routeOptions.config.securityHeaders === 'api' ? API_HEADERS : PAGE_HEADERS)
    done()
  })
}, { name: 'helmet' })
