import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage, JSONRPCRequest, RequestId } from '@modelcontextprotocol/sdk/types.js'

/** Requests in flight at once, at most: an id is its slot plus SLOTS times the slot's use count. */
export const SLOTS = 2 ** 21
/** Ids wrap here (a slot's 2^31st use), which keeps every id a safe integer (below 2^53). */
const IDS = SLOTS * 2 ** 31

interface Pending<C> {
  /** The id the server was handed this request under. */
  handed: number
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
 * A request waits in a slot of an array, freed when its answer goes back and given to the next
 * request: as many slots as requests at once, written in place. Kept in a `Map` under a new key
 * each instead, the requests in flight were promoted out of V8's young generation at every
 * scavenge, and full collections came half as often again (docs/performance.md, "MCP and V8's
 * young generation"). The id the server sees names the slot and how many times the slot has been
 * taken, so an answer under an id whose request was already answered (a second answer, a late
 * one) reaches no one, not the request that waits in its slot now.
 */
export class GatewayTransport<C> implements Transport {
  onmessage?: Transport['onmessage']
  onclose?: () => void
  onerror?: (error: Error) => void
  private readonly slots: Array<Pending<C> | undefined> = []
  /** The ids of answered requests, whose slots are free: the next in a slot is its id plus SLOTS. */
  private readonly freed: number[] = []

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
    const pending = this.pending(message.id)
    if (pending === undefined) return
    this.slots[pending.handed % SLOTS] = undefined
    this.freed.push(pending.handed)
    pending.answer({ ...message, id: pending.id })
  }

  /** Hands the server one request, and resolves with its answer. */
  request (message: JSONRPCRequest, context: C): Promise<JSONRPCMessage> {
    const freed = this.freed.pop()
    if (freed === undefined && this.slots.length >= SLOTS) throw new Error(`more than ${SLOTS} MCP requests at once`)
    // A slot taken for the first time: its index; taken again: the last id answered in it, one use on.
    const handed = freed === undefined ? this.slots.length : (freed + SLOTS) % IDS
    return new Promise((resolve) => {
      this.slots[handed % SLOTS] = { handed, id: message.id, context, answer: resolve }
      this.onmessage!({ ...message, id: handed })
    })
  }

  /** The context of a request the server is handling, by the id it was handed under. */
  context (id: RequestId): C {
    const pending = this.pending(id)
    if (pending === undefined) throw new Error(`no MCP request ${String(id)} is pending`)
    return pending.context
  }

  /** The request waiting under `id`, if the server was handed it and it is not answered yet. */
  private pending (id: unknown): Pending<C> | undefined {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) return undefined
    const pending = this.slots[id % SLOTS]
    // Object.is: -0 (which JSON can carry) is not the id 0.
    return pending !== undefined && Object.is(pending.handed, id) ? pending : undefined
  }
}
