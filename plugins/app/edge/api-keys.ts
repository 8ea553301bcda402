import fp from 'fastify-plugin'
import bearerAuth from '@fastify/bearer-auth'
import { AppError } from '../errors/errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route is reached by following a link a browser cannot add a header to, and carries
     * what an API key would prove in its URL: an export ticket, issued only to a request that
     * had the key, for one download by the same session within a minute.
     */
    keyInUrl?: boolean
  }
}

const unauthorized = (): AppError => new AppError('unauthorized', 'A valid API key is required: Authorization: Bearer <key>.')

/**
 * With API_KEYS set, every route of the scope this is registered in (/api) requires
 * `Authorization: Bearer <key>`, compared in constant time by @fastify/bearer-auth; anything
 * else is 401 unauthorized. Without API_KEYS, it does nothing.
 */
export default fp(async function apiKeysPlugin (fastify) {
  const keys = fastify.config.API_KEYS
  if (keys.length === 0) return
  await fastify.register(bearerAuth, {
    keys: new Set(keys),
    verifyErrorLogLevel: 'debug',
    // Verified by the hook below, which lets a route that carries its proof in its URL through.
    addHook: false
  })
  const verify = fastify.verifyBearerAuth!
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config.keyInUrl === true) return done()
    // Refused: the envelope's 401 unauthorized, whatever bearer-auth found wrong.
    verify(request, reply, (err) => { done(err === undefined ? undefined : unauthorized()) })
  })
}, { name: 'api-keys', dependencies: ['config'] })
