import type { FastifyPluginAsync } from 'fastify'
import session from '../../plugins/app/session.js'
import databaseRoutes from './database/index.js'
import queryRoutes from './query/index.js'

/**
 * The /api scope. The session plugin is registered here, once, so every route below gets its
 * `request.sessionId` from the same resolution, and no route outside /api pays for it.
 */
const apiRoutes: FastifyPluginAsync = async (fastify) => {
  await fastify.register(session)
  await fastify.register(databaseRoutes, { prefix: '/database' })
  await fastify.register(queryRoutes, { prefix: '/query' })
}

export default apiRoutes
