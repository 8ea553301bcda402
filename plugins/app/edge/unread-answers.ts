import fp from 'fastify-plugin'
import { UnreadAnswers } from './unread-answers-budget.js'

declare module 'fastify' {
  interface FastifyInstance {
    unreadAnswers: UnreadAnswers
  }
}

/**
 * `fastify.unreadAnswers`: answers their clients do not read are not held in memory for ever, nor
 * past `UNREAD_ANSWERS_MAX_BYTES` together (plugins/app/edge/unread-answers-budget.ts). Every connection of the server
 * is tracked; a look over them runs once a second (more often with a short `REQUEST_TIMEOUT_MS`)
 * and whenever a route hands over a large answer (`checkSoon()`).
 */
export default fp(async function unreadAnswersPlugin (fastify) {
  const { config, log } = fastify
  const unreadAnswers = new UnreadAnswers({
    maxBytes: config.UNREAD_ANSWERS_MAX_BYTES,
    idleMs: config.REQUEST_TIMEOUT_MS,
    onDropped: (dropped, heldBytes) => {
      log.warn({ dropped_connections: dropped, unread_bytes: heldBytes, limit: config.UNREAD_ANSWERS_MAX_BYTES },
        'closed connections whose clients were not reading their answers: unread answers over UNREAD_ANSWERS_MAX_BYTES')
    }
  })
  fastify.decorate('unreadAnswers', unreadAnswers)
  fastify.server.on('connection', (socket) => { unreadAnswers.track(socket) })

  let timer: NodeJS.Timeout | undefined
  fastify.addHook('onReady', async () => {
    timer = setInterval(() => unreadAnswers.check(Date.now()), Math.min(1000, config.REQUEST_TIMEOUT_MS / 4))
    timer.unref()
  })
  fastify.addHook('onClose', async () => { clearInterval(timer) })
}, { name: 'unread-answers', dependencies: ['config'] })
