import t from 'tap'
import type { JSONRPCMessage, JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js'
import { GatewayTransport } from '../../../routes/mcp/gateway-transport.js'

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
  return { gateway, handed, call, answer }
}

t.test('the gateway transport answers each request under its own client id, whatever the server was handed', async (t) => {
  const { handed, call, answer } = transport()
  const first = call(1, 'alice')
  const second = call(1, 'bob')
  t.same(handed.map((m) => m.id), [0, 1], 'two clients\' id 1 reach the server as two ids')
  // Answered out of order: each answer goes to its own request.
  await answer(1)
  await answer(0)
  t.same(await second, { jsonrpc: '2.0', id: 1, result: { context: 'bob' } })
  t.same(await first, { jsonrpc: '2.0', id: 1, result: { context: 'alice' } })
})

t.test('the gateway transport reuses the ids of answered requests: as many as requests at once', async (t) => {
  const { handed, call, answer } = transport()
  const answers: JSONRPCMessage[] = []
  for (let i = 0; i < 1000; i++) {
    const pending = call(i, `session-${i}`)
    await answer(handed.at(-1)!.id as number)
    answers.push(await pending)
  }
  t.same(answers, Array.from({ length: 1000 }, (_, i) => ({ jsonrpc: '2.0', id: i, result: { context: `session-${i}` } })), 'each answered under its own id, with its own context')
  t.same(new Set(handed.map((m) => m.id)), new Set([0]), '1,000 requests one after another: one id')

  const three = [call('a', 'x'), call('b', 'y'), call('c', 'z')]
  t.same(handed.slice(-3).map((m) => m.id), [0, 1, 2], 'three at once: three ids')
  for (const id of [2, 0, 1]) await answer(id)
  t.same((await Promise.all(three)).map((m) => (m as { id: string }).id), ['a', 'b', 'c'])
  const next = call('d', 'w')
  t.ok([0, 1, 2].includes(handed.at(-1)!.id as number), 'the next request takes a freed id')
  await answer(handed.at(-1)!.id as number)
  await next
})

t.test('the gateway transport drops what is no answer to a pending request, and knows no context after the answer', async (t) => {
  const { gateway, handed, call } = transport()
  let settled = false
  const pending = call(7, 'alice').then((message) => { settled = true; return message })
  const id = handed[0]!.id as number
  // The server's own requests and notifications have nowhere to go; nor an answer to an id not pending.
  await gateway.send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'x' } } as JSONRPCMessage)
  await gateway.send({ jsonrpc: '2.0', id, method: 'sampling/createMessage', params: {} } as JSONRPCMessage)
  await gateway.send({ jsonrpc: '2.0', id: id + 1, result: {} })
  await gateway.send({ jsonrpc: '2.0', id: String(id), result: {} })
  await new Promise((resolve) => setImmediate(resolve))
  t.notOk(settled, 'none of them answered the request')

  await gateway.send({ jsonrpc: '2.0', id, error: { code: -32603, message: 'failed' } })
  t.same(await pending, { jsonrpc: '2.0', id: 7, error: { code: -32603, message: 'failed' } }, 'an error answer goes back too')
  t.throws(() => gateway.context(id), /no MCP request 0 is pending/, 'its context is gone with it')
})
