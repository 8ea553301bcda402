import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import fastifyStatic from '@fastify/static'

/**
 * The browser console at `/`: a static page (public/) on the cookie session. `npm run build`
 * copies public/ next to the compiled code, so this path holds in both trees.
 */
const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url))

const consoleRoutes: FastifyPluginAsync = async (fastify) => {
  await fastify.register(fastifyStatic, {
    root: PUBLIC_DIR,
    prefix: '/',
    index: 'index.html',
    wildcard: false, // routes only for the files that exist; anything else is our 404
    decorateReply: false, // @fastify/swagger-ui registers @fastify/static too
    schemaHide: true,
    cacheControl: true,
    maxAge: '5m'
  })
}

export default consoleRoutes
