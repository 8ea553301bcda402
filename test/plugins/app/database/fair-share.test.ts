import t from 'tap'
import { FairShare, poolShares } from '../../../../plugins/app/database/fair-share.js'

/** Takes for `owner`, recording in `granted` when it is granted. */
function taker (share: FairShare, granted: string[]) {
  return (owner: string, label = owner) => { share.take(owner).then(() => granted.push(label), () => {}) }
}
const tick = () => new Promise((resolve) => setImmediate(resolve))

t.test('the shares of a pool: a fifth in reserve (none below three), a quarter of the rest per session, half per client', async (t) => {
  t.strictSame(poolShares(10, 4), { reserve: 2, perOwner: 2, perGroup: 4 })
  t.strictSame(poolShares(50, 100), { reserve: 10, perOwner: 10, perGroup: 20 })
  t.strictSame(poolShares(50, 4), { reserve: 10, perOwner: 4, perGroup: 20 }, 'never past SESSION_MAX_CONCURRENT_QUERIES')
  t.strictSame(poolShares(2, 4), { reserve: 0, perOwner: 1, perGroup: 1 })
  t.strictSame(poolShares(1, 4), { reserve: 0, perOwner: 1, perGroup: 1 })
})

t.test('one client, however many sessions it names, gets no turn ahead of another client once it holds its share', async (t) => {
  const share = new FairShare({ size: 10, reserve: 2, perOwner: 2, perGroup: 4, maxWaiting: 100 })
  const granted: string[] = []
  const take = (owner: string, group: string) => { share.take(owner, group).then(() => granted.push(owner), () => {}) }
  for (let i = 0; i < 12; i++) for (let j = 0; j < 4; j++) take(`attacker${i}`, '192.0.2.7')
  await tick()
  t.equal(granted.length, 10, 'alone, twelve sessions of one address have the whole pool')
  take('victim', '198.51.100.1')
  for (let i = 1; i <= 3; i++) take(`other${i}`, `203.0.113.${i}`)
  share.give('attacker0')
  await tick()
  t.equal(granted.at(-1), 'victim', 'the first connection given back goes to the other client, not to the flood\'s next session in turn')
  for (const owner of ['attacker1', 'attacker2', 'attacker3']) share.give(owner)
  await tick()
  t.strictSame(granted.slice(-3), ['other1', 'other2', 'other3'], 'and so do the next, while other clients wait')
  share.give('attacker4')
  await tick()
  t.match(granted.at(-1), /^attacker/, 'with no other client waiting, the client takes it again')
})

t.test('past its share, a client takes a shared connection only while no other client waits', async (t) => {
  const share = new FairShare({ size: 2, reserve: 0, perOwner: 2, perGroup: 1, maxWaiting: 100 })
  const granted: string[] = []
  const take = (owner: string, group: string) => { share.take(owner, group).then(() => granted.push(owner), () => {}) }
  take('s', 'a')
  take('s', 'b') // the same session from another address: it counts for the group it came with
  await tick()
  t.strictSame(granted, ['s', 's'], 'alone, a client has the pool')
  take('t', 'a')
  take('x', 'c')
  share.give('s')
  await tick()
  t.strictSame(granted, ['s', 's', 'x'], 'group a still holds its share: the connection goes to c, though t asked first')
  share.give('s')
  await tick()
  t.strictSame(granted, ['s', 's', 'x', 't'])
  share.give('x')
  share.give('t')
  take('s', 'b') // now s holds and waits for nothing: it counts for the group it comes with
  take('u', 'b')
  await tick()
  t.strictSame(share.stats(), { inUse: 2, waiting: 0, owners: 2 })
  take('v', 'b')
  take('w', 'd')
  share.give('s')
  await tick()
  t.equal(granted.at(-1), 'w', 'group b holds its share: d waits, and goes first')
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

t.test('a session that comes back from another address while it waits is counted for its first group throughout', async (t) => {
  const share = new FairShare({ size: 2, reserve: 0, perOwner: 2, perGroup: 1, maxWaiting: 100 })
  await share.take('f', 'f')
  await share.take('s', 'a')
  const again = share.take('s', 'b') // waits, counted for a
  share.give('s')
  await again
  share.give('s')
  share.give('f')
  await share.take('y', 'b')
  let second = false
  share.take('z', 'b').then(() => { second = true }, () => {})
  await tick()
  t.equal(second, true, 'b is past its share, but no other group waits: it takes the free connection')
})

t.test('a pool that queues nothing: a group holds at most groupCap, and a refusal names the limit it met', async (t) => {
  const limits: string[] = []
  const share = new FairShare({ size: 4, reserve: 0, perOwner: 1, groupCap: 2, maxWaiting: 0, busy: (limit) => { limits.push(limit); return new Error(limit) } })
  await share.take('a1', 'a')
  await share.take('a2', 'a')
  await t.rejects(share.take('a3', 'a'), { message: 'group' }, 'a third session of group a is refused while slots are free')
  await t.rejects(share.take('a1', 'a'), { message: 'owner' }, 'a session holding its one is refused for itself')
  await share.take('b1', 'b')
  await share.take('c1', 'c')
  await t.rejects(share.take('d1', 'd'), { message: 'pool' }, 'a full pool is the pool\'s limit')
  t.strictSame(limits, ['group', 'owner', 'pool'])
  share.give('a1')
  await share.take('a3', 'a')
  t.same(share.stats(), { inUse: 4, waiting: 0, owners: 4 }, 'a group that gave one back takes one again')
})

t.test('a full waiting room: another group\'s request takes the place of the newest waiter of a group filling more than half of it', async (t) => {
  const share = new FairShare({ size: 1, reserve: 0, perOwner: 1, maxWaiting: 4 })
  await share.take('h0', 'hog')
  const outcomes: string[] = []
  const hogWaits = ['h1', 'h2', 'h1', 'h3'].map((owner, i) => share.take(owner, 'hog').then(() => `hog${i} granted`, (err: Error & { code?: string }) => `hog${i} ${err.code}`))
  const other = share.take('o1', 'other').then(() => 'other granted', (err: Error & { code?: string }) => `other ${err.code}`)
  const hogAgain = share.take('h4', 'hog').then(() => 'hog again granted', (err: Error & { code?: string }) => `hog again ${err.code}`)
  outcomes.push(await hogAgain)
  t.strictSame(outcomes, ['hog again database_busy'], 'the group that fills the room is refused for itself')
  t.equal(share.stats().waiting, 4, 'the other group\'s request waits in the room')
  t.equal(await hogWaits[2], 'hog2 database_busy', 'in place of the newest waiter of the hog\'s owner that waited most (h1\'s second)')
  for (const owner of ['h0', 'h1', 'h2', 'h3']) {
    share.give(owner)
    await tick()
  }
  t.equal(await other, 'other granted', 'and gets its turn')
  share.give('o1')
  t.strictSame(await Promise.all(hogWaits), ['hog0 granted', 'hog1 granted', 'hog2 database_busy', 'hog3 granted'])
  t.same(share.stats(), { inUse: 0, waiting: 0, owners: 0 })
})

t.test('a full waiting room of two groups, none past half: a third group is refused', async (t) => {
  const share = new FairShare({ size: 1, reserve: 0, perOwner: 1, maxWaiting: 4 })
  await share.take('x', 'x')
  const waits = [['a1', 'a'], ['a2', 'a'], ['b1', 'b'], ['b2', 'b']].map(([owner, group]) => share.take(owner!, group).catch(() => {}))
  await t.rejects(share.take('c1', 'c'), { code: 'database_busy' })
  t.equal(share.stats().waiting, 4)
  share.give('x')
  for (const owner of ['a1', 'b1', 'a2', 'b2']) { await tick(); share.give(owner) }
  await Promise.all(waits)
})
