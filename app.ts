import type { FastifyError, FastifyHttpOptions, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Server } from 'node:http'
import fp from 'fastify-plugin'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './config.js'
import { clientErrorHandler, expectationFailed, noteAnswer } from './plugins/app/errors/client-errors.js'
import { AppError } from './plugins/app/errors/errors.js'
import { API_HEADERS } from './plugins/app/edge/security-headers.js'
import { utf8JsonParser } from './plugins/app/edge/json-body.js'
import { logDestination } from './plugins/app/logging/log-destination.js'
import { RequestLogController, unmatchedPath } from './plugins/app/logging/log-controller.js'
import configPlugin from './plugins/app/config.js'
import { sessionFields } from './plugins/app/session/session.js'
import errorHandler from './plugins/app/errors/error-handler.js'
import mysql from './plugins/app/database/mysql.js'
import catalog from './plugins/app/database/catalog.js'
import queryRunner from './plugins/app/query/query-runner.js'
import sessionActions from './plugins/app/session/session-actions.js'
import exporter from './plugins/app/export/exporter.js'
import exportTickets from './plugins/app/export/export-tickets.js'
import sessionStore from './plugins/app/session/session-store.js'
import sessionPolicy from './plugins/app/session/session-policy.js'
import grantsCheck from './plugins/app/database/grants-check.js'
import unreadAnswers from './plugins/app/edge/unread-answers.js'
import redisEvictionCheck from './plugins/app/session/redis-eviction-check.js'
import cookie from './plugins/external/cookie.js'
import redis from './plugins/external/redis.js'
import swagger from './plugins/external/swagger.js'
import helmet from './plugins/external/helmet.js'
import cors from './plugins/external/cors.js'
import allowedHosts from './plugins/app/edge/allowed-hosts.js'
import requestReading, { closeAfterUpgrade } from './plugins/app/edge/request-reading.js'
import connectionLimits from './plugins/app/edge/connection-limits.js'
import clientAddress, { parseTrustProxy } from './plugins/app/edge/client-address.js'
import addressLimit from './plugins/app/edge/address-limit.js'
import rateLimit from './plugins/external/rate-limit.js'
import healthRoutes from './routes/health/index.js'
import apiRoutes from './routes/api/index.js'
import consoleRoutes from './routes/console/index.js'
import mcpRoutes from './routes/mcp/index.js'

export interface AppOptions {
  config: Config
}

/**
 * Production logs go to stdout asynchronously, so a slow log pipe never stalls requests, and in
 * writes of at least LOG_BUFFER_BYTES or every LOG_FLUSH_MS: each write is a hop through libuv's
 * thread pool, which cost the service more than formatting the line (docs/performance.md). Lines
 * still buffered when the process exits are written then (pino flushes its destinations on exit);
 * a SIGKILL loses at most the last LOG_FLUSH_MS of lines. 16 kB (about 80 request lines) is
 * just under sonic-boom's largest single write.
 */
export const LOG_BUFFER_BYTES = 16_000
export const LOG_FLUSH_MS = 100

/**
 * Server options shared by production (server.ts) and the tests (test/helper.ts), so both
 * validate, limit and log the same way.
 */
export function serverOptions (config: Config): FastifyHttpOptions<Server> {
  return {
    logger: {
      level: config.LOG_LEVEL,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-session-id"]', 'res.headers["set-cookie"]'],
        censor: '[redacted]'
      },
      ...(process.stdout.isTTY && config.NODE_ENV !== 'production'
        ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
        : { stream: logDestination(1, LOG_BUFFER_BYTES, LOG_FLUSH_MS) })
    },
    logController: new RequestLogController(),
    bodyLimit: 1024 * 1024,
    // Fastify sets no limit by default: a client trickling a body would hold its connection (and
    // a socket) for ever. Node checks the timeouts every few seconds; headers alone may take no
    // longer than the whole request.
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    http: {
      requestTimeout: config.REQUEST_TIMEOUT_MS,
      headersTimeout: Math.min(60_000, config.REQUEST_TIMEOUT_MS),
      connectionsCheckingInterval: Math.min(5_000, config.REQUEST_TIMEOUT_MS / 2),
      // An HTTP/1.1 request without Host is refused by plugins/app/edge/request-reading.ts, in the
      // error envelope, rather than by Node with an empty 400.
      requireHostHeader: false
    },
    clientErrorHandler,
    frameworkErrors,
    trustProxy: parseTrustProxy(config.TRUST_PROXY),
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    ajv: {
      customOptions: {
        removeAdditional: false, // unknown fields are refused, not silently dropped
        coerceTypes: false, // JSON bodies keep their types: "5" is not 5
        allErrors: false
      }
    }
  }
}

/**
 * What Fastify's router refuses before any route (a URL parameter past maxParamLength, a URL that
 * does not decode): answered in the error envelope, as every error is, rather than in Fastify's own.
 */
function frameworkErrors (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const answer = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
    ? new AppError('uri_too_long', 'A part of the URL is longer than any this service takes (200 characters).')
    : new AppError('invalid_request', 'The URL is not valid: it does not decode.')
  // No route, so no hook ran: the headers every data answer has, and its request line, here.
  reply.headers(API_HEADERS)
  closeAfterUpgrade(request, reply)
  reply.code(answer.statusCode).send(answer.toJSON())
  request.log.info({ method: request.method, route: unmatchedPath(request.url), status: answer.statusCode }, 'request')
}

/**
 * The root plugin: external plugins first, then our own decorators, then the routes. Wrapped in
 * fastify-plugin so its error and not-found handlers cover the whole server.
 */
async function app (fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  const server = fastify.withTypeProvider<TypeBoxTypeProvider>()
  // JSON only. Without a text/plain parser, a cross-site <form enctype="text/plain"> gets 415.
  server.removeContentTypeParser('text/plain')
  // JSON bodies as Unicode text: what Fastify's parser would decode changed is refused (plugins/app/edge/json-body.ts).
  const parseJson = utf8JsonParser(server.getDefaultJsonParser('error', 'error'))
  server.removeContentTypeParser('application/json')
  server.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseJson)
  server.decorateRequest('bodyBytes', 0)
  await server.register(configPlugin, { config: opts.config })
  await server.register(errorHandler)
  // What a client error on a connection must wait for: the answers still owed before it (plugins/app/errors/client-errors.ts).
  server.server.on('request', noteAnswer)
  server.server.on('checkExpectation', expectationFailed)
  await server.register(sessionFields)

  await server.register(connectionLimits)
  await server.register(clientAddress)
  await server.register(helmet)
  await server.register(cors)
  await server.register(requestReading)
  await server.register(allowedHosts)
  await server.register(cookie)
  await server.register(redis)
  await server.register(rateLimit)
  await server.register(swagger)

  await server.register(mysql)
  await server.register(grantsCheck)
  await server.register(redisEvictionCheck)
  await server.register(catalog)
  await server.register(sessionStore)
  await server.register(sessionPolicy)
  await server.register(addressLimit)
  await server.register(queryRunner)
  await server.register(exporter)
  await server.register(exportTickets)
  await server.register(sessionActions)
  await server.register(unreadAnswers)

  await server.register(healthRoutes)
  await server.register(apiRoutes, { prefix: '/api' })
  await server.register(mcpRoutes, { prefix: '/mcp' })
  await server.register(consoleRoutes)
}

export default fp(app, { name: 'sqlgate', fastify: '5.x' })
