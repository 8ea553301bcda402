import t from 'tap'
import { shareWhileRunning } from '../../../plugins/app/shared-work.js'

t.test('the same work asked for while it runs is done once for all; after it, afresh', async (t) => {
  const share = shareWhileRunning<number>()
  let started = 0
  const release: Array<(value: number) => void> = []
  const work = () => new Promise<number>((resolve) => { started++; release.push(resolve) })
  const [a, b, c] = [share('k', work), share('k', work), share('other', work)]
  t.equal(started, 2, 'one work for the two calls of one key, one for the other key')
  release[0]!(7)
  release[1]!(9)
  t.strictSame(await Promise.all([a, b, c]), [7, 7, 9], 'both calls of the key get its result')
  const later = share('k', work)
  t.equal(started, 3, 'a call after the work settled starts it again: nothing is kept')
  release[2]!(8)
  t.equal(await later, 8)
})

t.test('a failure is every waiting call\'s, and the next call tries again', async (t) => {
  const share = shareWhileRunning<number>()
  let fail: (err: Error) => void = () => {}
  const failing = () => new Promise<number>((_resolve, reject) => { fail = reject })
  const [a, b] = [share('k', failing), share('k', failing)]
  fail(new Error('gone'))
  await t.rejects(a, /gone/)
  await t.rejects(b, /gone/)
  t.equal(await share('k', async () => 1), 1, 'the key is free again')
})
