import t from 'tap'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { CallToolRequestSchema, ListToolsRequestSchema, type JSONRPCMessage, type JSONRPCRequest } from '@modelcontextprotocol/sdk/types.js'
import { GatewayTransport } from '../../../routes/mcp/gateway-transport.js'
import { withInvalidParams } from '../../../routes/mcp/invalid-params.js'

/** An SDK `Server` with this server's two methods, behind the gateway's transport: what the SDK itself answers. */
async function bareServer () {
  const transport = new GatewayTransport<null>()
  const server = new Server({ name: 'bare', version: '1' }, { capabilities: { tools: {} } })
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [] }))
  server.setRequestHandler(CallToolRequestSchema, async () => { throw new Error('the handler broke') })
  await server.connect(transport)
  return (request: JSONRPCRequest) => transport.request(request, null)
}

t.test('the SDK answers params its schema refuses as an internal error: withInvalidParams can go once this fails', async (t) => {
  const ask = await bareServer()
  const answer = await ask({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { cursor: 5 } })
  t.match(answer, { error: { code: -32603 } }, 'when the SDK answers -32602 itself (modelcontextprotocol/typescript-sdk#2284), routes/mcp/invalid-params.ts can go')
})

t.test('withInvalidParams turns only the SDK\'s reading of refused params into -32602; every other answer is passed on', async (t) => {
  const ask = await bareServer()
  const refused: JSONRPCRequest = { jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 7 } }
  t.match(withInvalidParams(refused, await ask(refused)), {
    jsonrpc: '2.0', id: 'a', error: { code: -32602, message: /^Invalid params for tools\/call: params\.name: .*expected string, received number$/ }
  })
  const broken: JSONRPCRequest = { jsonrpc: '2.0', id: 'b', method: 'tools/call', params: { name: 'run_query' } }
  const internal = await ask(broken)
  t.match(internal, { id: 'b', error: { code: -32603, message: /the handler broke/ } })
  t.equal(withInvalidParams(broken, internal), internal, 'an internal error of valid params stays one')
  const listed = await ask({ jsonrpc: '2.0', id: 'c', method: 'tools/list' })
  t.equal(withInvalidParams({ jsonrpc: '2.0', id: 'c', method: 'tools/list' }, listed), listed, 'an answer passes as it is')
  const other: JSONRPCMessage = { jsonrpc: '2.0', id: 'd', error: { code: -32603, message: 'x' } }
  t.equal(withInvalidParams({ jsonrpc: '2.0', id: 'd', method: 'ping', params: { x: 1 } }, other), other, 'a method without a handler here is left alone')
})
