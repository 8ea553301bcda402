import fp from 'fastify-plugin'
import cors from '@fastify/cors'
import { AppError } from '../app/errors/errors.js'

/**
 * CORS for the browser frontends in CORS_ORIGINS, and only them: credentialed requests (the sid
 * cookie) from exactly those origins. Never a wildcard; without CORS_ORIGINS, no CORS at all.
 * A browser MCP client sends `Mcp-Session-Id` and `MCP-Protocol-Version` after `initialize`, and
 * must read `Mcp-Session-Id` from its answer; a frontend may read the rate-limit headers.
 */
export default fp(async function corsPlugin (fastify) {
  const origins = fastify.config.CORS_ORIGINS
  if (origins.length === 0) return
  // A preflight must name its origin and method; one that does not is answered in the error
  // envelope here, before @fastify/cors would answer it in plain text.
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (request.method === 'OPTIONS' && (request.headers.origin === undefined || request.headers['access-control-request-method'] === undefined)) {
      done(new AppError('invalid_preflight', 'A CORS preflight (OPTIONS) needs the Origin and Access-Control-Request-Method headers.'))
      return
    }
    done()
  })
  await fastify.register(cors, {
    origin: origins,
    credentials: true,
    methods: ['GET', 'POST', 'DELETE'],
    allowedHeaders: ['content-type', 'x-session-id', 'authorization', 'mcp-session-id', 'mcp-protocol-version'],
    exposedHeaders: ['retry-after', 'mcp-session-id', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
    maxAge: 600
  })
}, { name: 'cors', dependencies: ['config'] })
