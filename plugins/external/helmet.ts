import fp from 'fastify-plugin'
import type { onRequestHookHandler } from 'fastify'
import fastifyHelmet from '@fastify/helmet'
import { API_HEADERS, API_PREFIX, PAGE_HEADERS, PAGE_OPTIONS } from '../../lib/security-headers.js'

export default fp(async function helmetPlugin (fastify) {
  // @fastify/helmet gives routes reply.helmet() and per-route policies. Its global mode builds
  // helmet(options) anew on every request (@fastify/helmet 13.x), which cost about a quarter of
  // a small request's throughput here; the headers are computed once instead, and set in one step
  // per request. A route may still replace one (the /docs pages set their own policy).
  // (@fastify/helmet is typed against helmet's CommonJS declarations, this file against its ESM ones.)
  await fastify.register(fastifyHelmet, { ...PAGE_OPTIONS, global: false } as Parameters<typeof fastifyHelmet>[1])
  const setHeaders = (headers: Readonly<Record<string, string>>): onRequestHookHandler => function securityHeaders (_request, reply, done) {
    reply.headers(headers)
    done()
  }
  const api = setHeaders(API_HEADERS)
  const page = setHeaders(PAGE_HEADERS)
  // Each route gets its set when it is registered, from its path (not from the request's URL,
  // which can spell the same route differently), so there is no decision per request.
  fastify.addHook('onRoute', (route) => {
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
    route.onRequest = [route.url.startsWith(API_PREFIX) ? api : page, ...own]
  })
  // An answer no route matched (404) gets the page set from the not-found handler
  // (plugins/app/error-handler.ts): a hook here would run on every request to find the few 404s.
}, { name: 'helmet' })
