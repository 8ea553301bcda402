import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { ErrorSchema } from '../../schemas/common.js'

/**
 * The OpenAPI 3.1 document, generated from the routes' TypeBox schemas, at GET /openapi.json,
 * and interactive docs at GET /docs.
 */
export default fp(async function swaggerPlugin (fastify) {
  fastify.addSchema(ErrorSchema)

  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'sqlgate',
        description: 'Session-aware SQL gateway: pick a database for your session, then every query of that session runs in it.',
        version: '0.1.0'
      },
      tags: [
        { name: 'database', description: "Databases and the session's database context" },
        { name: 'query', description: "Run SQL in the session's database" },
        { name: 'health', description: 'Liveness and readiness' }
      ],
      components: {
        securitySchemes: {},
        parameters: {}
      }
    },
    refResolver: {
      // Shared schemas keep their $id as their name in components.schemas.
      buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}`
    }
  })

  await fastify.register(swaggerUi, { routePrefix: '/docs' })

  fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger())
}, { name: 'swagger', dependencies: ['config'] })
