import t from 'tap'
import type { JSONRPCMessage, JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js'
import { GatewayTransport, SLOTS } from '../../../routes/mcp/gateway-transport.js'

/**
 * The transport on its own, with the server's side played by its `onmessage`: which ids the server
 * sees, what goes back to whom, and what it drops.
 */
function transport () {
  const gateway = new GatewayTransport<string>()
  const handed: JSONRPCRequest[] = []
  gateway.onmessage = (message) => { handed.push(message as JSONRPCRequest) }
  const call = (id: string | number, context: string) =>
    gateway.request({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'run_query' } }, context)
  /** The server answers the request it was handed under `id`, with the context it looks up. */
  const answer = (id: number) => gateway.send({ jsonrpc: '2.0', id, result: { context: gateway.context(id) } })
  const lastId = () => handed.at(-1)!.id as number
  return { gateway, handed, call, answer, lastId }
}

t.test('the gateway transport answers each request under its own client id, whatever the server was handed', async (t) => {
  const { handed, call, answer } = transport()
  const first = call(1, 'alice')
  const second = call(1, 'bob')
  t.not(handed[0]!.id, handed[1]!.id, 'two clients\' id 1 reach the server as two ids')
  // Answered out of order: each answer goes to its own request.
  await answer(handed[1]!.id as number)
  await answer(handed[0]!.id as number)
  t.same(await second, { jsonrpc: '2.0', id: 1, result: { context: 'bob' } })
  t.same(await first, { jsonrpc: '2.0', id: 1, result: { context: 'alice' } })
})

t.test('the gateway transport takes as many slots as requests at once, and never hands the server an id twice', async (t) => {
  const { handed, call, answer, lastId } = transport()
  const answers: JSONRPCMessage[] = []
  for (let i = 0; i < 1000; i++) {
    const pending = call(i, `session-${i}`)
    await answer(lastId())
    answers.push(await pending)
  }
  t.same(answers, Array.from({ length: 1000 }, (_, i) => ({ jsonrpc: '2.0', id: i, result: { context: `session-${i}` } })), 'each answered under its own id, with its own context')
  const ids = handed.map((m) => m.id as number)
  t.equal(new Set(ids).size, 1000, '1,000 ids, all different')
  t.same(new Set(ids.map((id) => id % SLOTS)), new Set([0]), 'one after another, they wait in one slot')

  const three = [call('a', 'x'), call('b', 'y'), call('c', 'z')]
  const slots = handed.slice(-3).map((m) => (m.id as number) % SLOTS)
  t.same(slots, [0, 1, 2], 'three at once: three slots')
  for (const message of handed.slice(-3).reverse()) await answer(message.id as number)
  t.same((await Promise.all(three)).map((m) => (m as { id: string }).id), ['a', 'b', 'c'])
})

t.test('the gateway transport drops what is no answer to a pending request: a late or second answer reaches no one', async (t) => {
  const { gateway, call, answer, lastId } = transport()
  let settled = false
  const pending = call(7, 'alice').then((message) => { settled = true; return message })
  const id = lastId()
  // The server's own requests and notifications have nowhere to go; nor answers to ids not pending.
  await gateway.send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'x' } } as JSONRPCMessage)
  await gateway.send({ jsonrpc: '2.0', id, method: 'sampling/createMessage', params: {} } as JSONRPCMessage)
  for (const other of [id + 1, id + SLOTS, id - SLOTS, String(id), -id, id + 0.5, null]) {
    await gateway.send({ jsonrpc: '2.0', id: other, result: {} } as JSONRPCMessage)
  }
  await new Promise((resolve) => setImmediate(resolve))
  t.notOk(settled, 'none of them answered the request')

  await gateway.send({ jsonrpc: '2.0', id, error: { code: -32603, message: 'failed' } })
  t.same(await pending, { jsonrpc: '2.0', id: 7, error: { code: -32603, message: 'failed' } }, 'an error answer goes back too')
  t.throws(() => gateway.context(id), /is pending/, 'its context is gone with it')

  // Bob's request takes alice's slot; an answer under alice's id (late, or sent twice) is not his.
  let bobAnswered = false
  const bob = call(7, 'bob').then((message) => { bobAnswered = true; return message })
  t.equal(lastId() % SLOTS, id % SLOTS, 'bob waits in the slot alice had')
  t.not(lastId(), id, 'under another id')
  await gateway.send({ jsonrpc: '2.0', id, result: { rows: ['alice\'s'] } })
  await new Promise((resolve) => setImmediate(resolve))
  t.notOk(bobAnswered, 'alice\'s late answer did not reach bob')
  await answer(lastId())
  t.same(await bob, { jsonrpc: '2.0', id: 7, result: { context: 'bob' } })
})
