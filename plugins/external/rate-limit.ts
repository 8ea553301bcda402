import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import { AppError } from '../../lib/errors.js'

/**
 * RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_MS, counted in Redis so every instance shares
 * the count: per session on /api routes (the session is resolved before this hook runs), per
 * client address elsewhere. Routes opt out with `config: { rateLimit: false }` (health checks).
 * If Redis fails, requests are not refused for it: the routes that need Redis answer 503 anyway.
 */
export default fp(async function rateLimitPlugin (fastify) {
  const { RATE_LIMIT_MAX, RATE_LIMIT_WINDOW_MS, REDIS_KEY_PREFIX } = fastify.config
  await fastify.register(rateLimit, {
    global: true,
    max: RATE_LIMIT_MAX,
    timeWindow: RATE_LIMIT_WINDOW_MS,
    hook: 'preHandler',
    redis: fastify.redis,
    nameSpace: `${REDIS_KEY_PREFIX}ratelimit:`,
    skipOnError: true,
    keyGenerator: (request) => request.sessionHash !== '' ? `session:${request.sessionHash}` : `ip:${request.ip}`,
    errorResponseBuilder: (_request, context) => new AppError(429, 'rate_limited',
      `Rate limit exceeded: ${context.max} requests per ${Math.round(RATE_LIMIT_WINDOW_MS / 1000)} s. Retry in ${Math.ceil(context.ttl / 1000)} s.`,
      { retry_after_seconds: Math.ceil(context.ttl / 1000) })
  })
}, { name: 'rate-limit', dependencies: ['config', 'redis'] })
