import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { OpenAPIV3_1 as OpenAPI } from 'openapi-types'
import { ErrorSchema, errorDescription, errorExample } from '../../schemas/common.js'
import { anyHostAllowed } from '../app/edge/host-names.js'

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
        description: 'Session-aware SQL gateway: pick a database for your session, then every query of that session runs in it. ' +
          'The session is resolved from session_id in the body, else the X-Session-Id header, else the signed sid cookie, else a new one is issued.',
        version: '0.1.0'
      },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key from API_KEYS. Required on /api routes when the service has API_KEYS set.'
          }
        }
      },
      tags: [
        { name: 'database', description: "Databases and the session's database context" },
        { name: 'query', description: "Run SQL in the session's database" },
        { name: 'health', description: 'Liveness and readiness' }
      ]
    },
    refResolver: {
      // Shared schemas keep their $id as their name in components.schemas.
      buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}`
    },
    transformObject: (document) => 'openapiObject' in document
      ? describeSessions(document.openapiObject as OpenAPI.Document, fastify.config.API_KEYS.length > 0, !anyHostAllowed(fastify.config.ALLOWED_HOSTS))
      : document.swaggerObject
  })

  // The docs work where they are served, also behind a proxy that serves sqlgate under a path
  // (`/sqlgate/docs`): the page's links are relative only at `/docs/` (at `/docs` they name
  // `/docs/static/...` from the root), so `/docs` redirects there with a relative Location; and
  // "Try it out" sends its requests relative to the document the page loaded (`/docs/json`), not to
  // the root of the host. Only the page's copy of the document says so: /openapi.json, for
  // clients, names no server (its own location).
  await fastify.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Its policy, less `upgrade-insecure-requests`: over plain HTTP at any name but localhost (a
    // service on a LAN, `http://db-gateway:3000/docs/`), that sent the page's own scripts and
    // styles to https:// and left the page blank. HTTPS is the proxy's to enforce (HSTS). And no
    // framing, as for every other page.
    transformStaticCSP: docsPolicy,
    uiHooks: {
      onRequest: async (request, reply) => {
        const path = request.url.split('?', 1)[0]!
        if (path === '/docs') return reply.redirect(`docs/${request.url.slice(path.length)}`)
      }
    },
    transformSpecification: (document) => ({ ...document, servers: [{ url: '..', description: 'this service, where these docs are served' }] }),
    transformSpecificationClone: false
  })

  fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger())
}, { name: 'swagger', dependencies: ['config'] })

/** @fastify/swagger-ui's static policy for /docs, without upgrade-insecure-requests and with frame-ancestors 'none'. */
export function docsPolicy (policy: string): string {
  return policy.split(';').map((directive) => directive.trim())
    .filter((directive) => directive !== '' && directive !== 'upgrade-insecure-requests')
    .map((directive) => directive.startsWith('frame-ancestors ') ? "frame-ancestors 'none'" : directive)
    .join('; ')
}

const SID_COOKIE: OpenAPI.ParameterObject = {
  name: 'sid',
  in: 'cookie',
  required: false,
  description: 'The signed session cookie this service sets (HttpOnly, SameSite=Lax), named __Host-sid over HTTPS (COOKIE_SECURE; __Secure-sid under another COOKIE_PATH) and sid otherwise. Browsers send it by themselves; other clients may keep it in a cookie jar instead of sending session_id or X-Session-Id.',
  schema: { type: 'string' }
}

const SET_SID_COOKIE: OpenAPI.HeaderObject = {
  description: 'Sets the signed sid cookie when the request did not already carry this session in it: HttpOnly; SameSite=Lax; Path=COOKIE_PATH (/ by default); Max-Age=SESSION_MAX_AGE_SECONDS; Secure per COOKIE_SECURE.',
  schema: { type: 'string' }
}

/**
 * What the route schemas cannot say: every /api operation takes the sid cookie and may set it
 * (and needs an API key when API_KEYS is set), every operation answers 403 host_not_allowed when
 * ALLOWED_HOSTS is checked, and every error answer has an example.
 */
function describeSessions (doc: OpenAPI.Document, apiKeys: boolean, hostsChecked: boolean): OpenAPI.Document {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const operation of Object.values(item ?? {}) as OpenAPI.OperationObject[]) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue
      if (hostsChecked) {
        operation.responses ??= {}
        operation.responses['403'] ??= { description: errorDescription(403)!, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
      }
      if (path.startsWith('/api/') && apiKeys) {
        operation.security = [{ bearerAuth: [] }]
        operation.responses ??= {}
        operation.responses['401'] ??= { description: 'unauthorized', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
      }
      if (path.startsWith('/api/') && !path.includes('{session_id}')) {
        operation.parameters = [...(operation.parameters ?? []), SID_COOKIE]
        const ok = operation.responses?.['200'] as OpenAPI.ResponseObject | undefined
        if (ok !== undefined) ok.headers = { ...ok.headers, 'Set-Cookie': SET_SID_COOKIE }
      }
      optionalBody(operation)
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const example = errorExample(Number(status))
        const media = (response as OpenAPI.ResponseObject).content?.['application/json']
        if (example !== undefined && media !== undefined) media.example = example
      }
    }
  }
  return sharedErrorResponses(doc)
}

/**
 * An error answer that several operations give alike (its status's description, the error
 * envelope, its example) is one entry of components.responses (`Error429`), referred to by each:
 * typed clients then have one type per error answer instead of a copy on every operation. An
 * operation whose answer differs (GET /ready's 503) keeps its own.
 */
function sharedErrorResponses (doc: OpenAPI.Document): OpenAPI.Document {
  const operations = Object.values(doc.paths ?? {}).flatMap((item) => Object.values(item ?? {}) as OpenAPI.OperationObject[])
    .filter((operation) => typeof operation === 'object' && operation !== null && 'responses' in operation)
  const errors = operations.flatMap((operation) => Object.entries(operation.responses ?? {})
    .filter(([status, response]) => Number(status) >= 400 && !('$ref' in response))
    .map(([status, response]) => ({ operation, status, response: response as OpenAPI.ResponseObject, text: JSON.stringify(response) })))
  // Per status, the answer most operations give.
  const counts = new Map<string, number>()
  for (const { status, text } of errors) counts.set(status + text, (counts.get(status + text) ?? 0) + 1)
  const chosen = new Map<string, { text: string, count: number, response: OpenAPI.ResponseObject }>()
  for (const { status, text, response } of errors) {
    const count = counts.get(status + text)!
    if (count >= 2 && count > (chosen.get(status)?.count ?? 0)) chosen.set(status, { text, count, response })
  }
  const responses: Record<string, OpenAPI.ResponseObject> = {}
  for (const { operation, status, text } of errors) {
    const common = chosen.get(status)
    if (common === undefined || common.text !== text) continue
    responses[`Error${status}`] = common.response
    operation.responses![status] = { $ref: `#/components/responses/Error${status}` }
  }
  doc.components = { ...doc.components, responses: { ...doc.components?.responses, ...responses } }
  return doc
}

/**
 * A body schema that also takes null (no body: DELETE /api/database/context) is an optional
 * request body; @fastify/swagger marks every body required, and typed clients would then have to
 * send one.
 */
function optionalBody (operation: OpenAPI.OperationObject): void {
  const body = operation.requestBody as OpenAPI.RequestBodyObject | undefined
  const media = body?.content['application/json']
  const schema = media?.schema as OpenAPI.SchemaObject | undefined
  const branches = schema?.anyOf as OpenAPI.SchemaObject[] | undefined
  if (body === undefined || media === undefined || schema === undefined || branches === undefined) return
  const given = branches.filter((branch) => branch.type !== 'null')
  if (given.length === branches.length || given.length !== 1) return
  body.required = false
  media.schema = { ...given[0], description: schema.description }
}
