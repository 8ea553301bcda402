import t from 'tap'
import { FairShare, poolShares } from '../../../../plugins/app/database/fair-share.js'

/** Takes for `owner`, recording in `granted` when it is granted. */
function taker (share: FairShare, granted: string[]) {
  return (owner: string, label = owner) => { share.take(owner).then(() => granted.push(label), () => {}) }
}
const tick = () => new Promise((resolve) => setImmediate(resolve))

t.test('the shares of a pool: a fifth in reserve (none below three), a quarter of the rest per session', async (t) => {
  t.strictSame(poolShares(10, 4), { reserve: 2, perOwner: 2 })
  t.strictSame(poolShares(50, 100), { reserve: 10, perOwner: 10 })
  t.strictSame(poolShares(50, 4), { reserve: 10, perOwner: 4 }, 'never past SESSION_MAX_CONCURRENT_QUERIES')
  t.strictSame(poolShares(2, 4), { reserve: 0, perOwner: 1 })
  t.strictSame(poolShares(1, 4), { reserve: 0, perOwner: 1 })
})

t.test('a session holds at most its share; the reserve goes only to sessions that hold none', async (t) => {
  const share = new FairShare({ size: 10, reserve: 2, perOwner: 2, maxWaiting: 100 })
  const granted: string[] = []
  const take = taker(share, granted)
  for (const owner of ['a', 'b', 'c', 'd', 'e']) for (let i = 0; i < 4; i++) take(owner)
  await tick()
  t.strictSame(granted, ['a', 'a', 'b', 'b', 'c', 'c', 'd', 'd', 'e'], 'four sessions fill the eight shared connections; the fifth gets one of the reserve')
  take('newcomer')
  await tick()
  t.equal(granted.at(-1), 'newcomer', 'a session that holds none still finds a connection')
  take('late')
  await tick()
  t.equal(granted.at(-1), 'newcomer', 'until the reserve is gone too')
  t.strictSame(share.stats(), { inUse: 10, waiting: 12, owners: 6 })
})

t.test('waiting requests are served across sessions in turn, not first come, first served', async (t) => {
  const share = new FairShare({ size: 1, reserve: 0, perOwner: 1, maxWaiting: 100 })
  const granted: string[] = []
  const take = taker(share, granted)
  take('busy', 'busy')
  for (let i = 1; i <= 3; i++) take('flood', `flood${i}`)
  take('one', 'one')
  await tick()
  t.strictSame(granted, ['busy'])
  for (const owner of ['busy', 'flood', 'one', 'flood']) {
    share.give(owner)
    await tick()
  }
  t.strictSame(granted, ['busy', 'flood1', 'one', 'flood2', 'flood3'], 'the one query of "one" did not wait behind the flood')
})

t.test('past maxWaiting, a request is refused at once with database_busy', async (t) => {
  const share = new FairShare({ size: 1, reserve: 0, perOwner: 1, maxWaiting: 2 })
  await share.take('a')
  share.take('b').catch(() => {})
  share.take('c').catch(() => {})
  await t.rejects(share.take('d'), { code: 'database_busy', statusCode: 503 })
})
