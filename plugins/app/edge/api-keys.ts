import fp from 'fastify-plugin'
import bearerAuth from '@fastify/bearer-auth'
import { AppError } from '../errors/errors.js'

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
    // The envelope: { statusCode, error, code, message }
    errorResponse: () => new AppError('unauthorized', 'A valid API key is required: Authorization: Bearer <key>.').toJSON() as { error: string }
  })
}, { name: 'api-keys', dependencies: ['config'] })
