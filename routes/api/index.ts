import type { FastifyPluginAsync } from 'fastify'
import apiKeys from '../../plugins/app/edge/api-keys.js'
import session from '../../plugins/app/session/session.js'
import databaseRoutes from './database/index.js'
import queryRoutes from './query/index.js'

/**
 * The /api scope. API keys (when configured) and the session plugin are registered here, once,
 * so every route below is guarded and gets its `request.sessionId` from the same resolution,
 * and no route outside /api pays for either.
 */
const apiRoutes: FastifyPluginAsync = async (fastify) => {
  await fastify.register(apiKeys)
  await fastify.register(session)
  await fastify.register(databaseRoutes, { prefix: '/database' })
  await fastify.register(queryRoutes, { prefix: '/query' })
}

export default apiRoutes
