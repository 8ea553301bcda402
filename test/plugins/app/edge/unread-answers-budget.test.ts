import type { Socket } from 'node:net'
import t from 'tap'
import { STALLED_MS, UnreadAnswers } from '../../../../plugins/app/edge/unread-answers-budget.js'
import { loopbackPair } from '../../../helper.js'

const MB = 1 << 20

/** A large answer for `socket`, not handed over: all of it is held (the looks are told the time). */
function answer (budget: UnreadAnswers, socket: Socket, bytes: number): void {
  budget.send(socket, Buffer.alloc(bytes))
}

t.test('an answer added to an unread connection (a pipelined request) is not movement: past the budget it is still the one that stood still longest', async (t) => {
  const budget = new UnreadAnswers({ maxBytes: 1.5 * MB, idleMs: 60_000 })
  const [pipelining, waiting] = [(await loopbackPair(t)).writer, (await loopbackPair(t)).writer]
  budget.track(pipelining)
  budget.track(waiting)

  answer(budget, pipelining, MB)
  budget.check(0)
  answer(budget, waiting, MB)
  t.equal(budget.check(1000), 2 * MB, 'over the budget, but neither has stood still for STALLED_MS')
  // One more answer on the first connection, whose client read nothing of the first.
  answer(budget, pipelining, MB)
  budget.check(1500)
  budget.check(STALLED_MS + 1500)
  t.ok(pipelining.destroyed, 'the connection that has read nothing since the start is closed')
  t.notOk(waiting.destroyed, 'the one whose answer came later is kept')
})

t.test('a connection whose unread answers only grow is closed once idle, however often they grow', async (t) => {
  const budget = new UnreadAnswers({ maxBytes: 1024 * MB, idleMs: 3000 })
  const socket = (await loopbackPair(t)).writer
  budget.track(socket)
  for (let now = 0; now < 3000; now += 500) {
    answer(budget, socket, MB)
    budget.check(now)
    t.notOk(socket.destroyed, `kept at ${now} ms`)
  }
  answer(budget, socket, MB)
  budget.check(3000)
  t.ok(socket.destroyed, 'closed at idleMs after its first answer, its client having read nothing')
})
