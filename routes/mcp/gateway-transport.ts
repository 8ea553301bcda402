import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import { isJSONRPCErrorResponse, isJSONRPCResultResponse, type JSONRPCMessage, type JSONRPCRequest, type RequestId } from '@modelcontextprotocol/sdk/types.js'

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
 */
export class GatewayTransport<C> implements Transport {
  onmessage?: Transport['onmessage']
  onclose?: () => void
  onerror?: (error: Error) => void
  private readonly pending = new Map<number, Pending<C>>()
  private lastId = 0

  async start (): Promise<void> {}

  async close (): Promise<void> {
    this.onclose?.()
  }

  /**
   * The server's messages: answers to the requests handed to it. It sends no requests or
   * notifications of its own (its capabilities offer none), so anything else has nowhere to go.
   */
  async send (message: JSONRPCMessage): Promise<void> {
    if (!isJSONRPCResultResponse(message) && !isJSONRPCErrorResponse(message)) return
    const pending = typeof message.id === 'number' ? this.pending.get(message.id) : undefined
    if (pending === undefined) return
    this.pending.delete(message.id as number)
    pending.answer({ ...message, id: pending.id })
  }

  /** Hands the server one request, and resolves with its answer. */
  request (message: JSONRPCRequest, context: C): Promise<JSONRPCMessage> {
    const id = ++this.lastId
    return new Promise((resolve) => {
      this.pending.set(id, { id: message.id, context, answer: resolve })
      this.onmessage!({ ...message, id })
    })
  }

  /** The context of a request the server is handling, by the id it was handed under. */
  context (id: RequestId): C {
    const pending = typeof id === 'number' ? this.pending.get(id) : undefined
    if (pending === undefined) throw new Error(`no MCP request ${String(id)} is pending`)
    return pending.context
  }
}
