import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage, JSONRPCRequest, RequestId } from '@modelcontextprotocol/sdk/types.js'

interface Pending<C> {
  /** The id the client gave its request, which its answer carries back. */
  id: RequestId
  context: C
  answer: (message: JSONRPCMessage) => void
}

/**
 * An MCP transport (the SDK's `Transport` interface) that carries the requests of many HTTP
 * requests to one `Server`, built once. Each request is handed to the server under an id of its
 * own, so that two clients' `id: 1` cannot meet, with a context (its session, its log) that the
 * server's handlers look up by that id; the server's answer goes back to the HTTP request it came
 * from, under the client's id. Nothing is kept once a request is answered.
 *
 * The id is the index of a slot in an array, freed when the answer goes back and given to the
 * next request: as many slots as requests at once, written in place. Kept in a `Map` under a new
 * key each instead, the requests in flight were promoted out of V8's young generation at every
 * scavenge, and full collections came half as often again (docs/performance.md, "MCP and V8's
 * young generation").
 */
export class GatewayTransport<C> implements Transport {
  onmessage?: Transport['onmessage']
  onclose?: () => void
  onerror?: (error: Error) => void
  private readonly slots: Array<Pending<C> | undefined> = []
  private readonly free: number[] = []

  async start (): Promise<void> {}

  async close (): Promise<void> {
    this.onclose?.()
  }

  /**
   * The server's messages: answers to the requests handed to it (a JSON-RPC message without a
   * method is an answer). It sends no requests or notifications of its own (its capabilities offer
   * none), so anything else has nowhere to go.
   */
  async send (message: JSONRPCMessage): Promise<void> {
    if ('method' in message || !('id' in message)) return
    const pending = typeof message.id === 'number' ? this.slots[message.id] : undefined
    if (pending === undefined) return
    this.slots[message.id as number] = undefined
    this.free.push(message.id as number)
    pending.answer({ ...message, id: pending.id })
  }

  /** Hands the server one request, and resolves with its answer. */
  request (message: JSONRPCRequest, context: C): Promise<JSONRPCMessage> {
    const id = this.free.pop() ?? this.slots.length
    return new Promise((resolve) => {
      this.slots[id] = { id: message.id, context, answer: resolve }
      this.onmessage!({ ...message, id })
    })
  }

  /** The context of a request the server is handling, by the id it was handed under. */
  context (id: RequestId): C {
    const pending = typeof id === 'number' ? this.slots[id] : undefined
    if (pending === undefined) throw new Error(`no MCP request ${String(id)} is pending`)
    return pending.context
  }
}
