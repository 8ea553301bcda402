import fp from 'fastify-plugin'
import { AppError } from '../errors/errors.js'
import { hostCheck } from './host-names.js'
import { memoize } from '../memo.js'

/**
 * Answers only requests for the host names in ALLOWED_HOSTS (plugins/app/edge/host-names.ts: the defence
 * against DNS rebinding), before anything else reads the request: a refused one touches neither
 * Redis nor the database. Registered after the security headers and CORS, so its answer has them.
 */
export default fp(async function allowedHostsPlugin (fastify) {
  const check = hostCheck(fastify.config.ALLOWED_HOSTS)
  if (check === null) return
  // A client names a handful of hosts; a Host longer than any name is checked every time.
  const allowed = memoize(1000, check, 300)
  fastify.addHook('onRequest', (request, _reply, done) => {
    done(allowed(request.host) ? undefined : HOST_NOT_ALLOWED)
  })
}, { name: 'allowed-hosts', dependencies: ['config'] })

const HOST_NOT_ALLOWED = new AppError('host_not_allowed',
  'This service does not answer for this host name: add it to ALLOWED_HOSTS. (A name the service was not configured for may be a web page\'s DNS rebinding attack; an IP address is always answered.)')
