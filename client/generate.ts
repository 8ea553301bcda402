// npm run client:generate: writes client/sqlgate-api.d.ts from the service's own OpenAPI document.
// It builds the app as the service does, so it needs Redis (and reads the same configuration).
import { writeFile } from 'node:fs/promises'
import Fastify from 'fastify'
import app, { serverOptions } from '../app.js'
import { loadConfig } from '../config.js'
import { CLIENT_TYPES_PATH, generateClientTypes } from './openapi-types.js'

const config = loadConfig({ ...process.env, LOG_LEVEL: 'error' })
const fastify = Fastify(serverOptions(config))
await fastify.register(app, { config })
await fastify.ready()
await writeFile(CLIENT_TYPES_PATH, await generateClientTypes(fastify.swagger()))
await fastify.close()
console.log(`wrote ${CLIENT_TYPES_PATH.pathname}`)
