import type { Redis } from 'ioredis'
import { sessionStoreUnavailable } from '../errors/errors.js'
import type { RedisScript } from './session-scripts.js'

export type ScriptCall = (...args: Array<string | number>) => Promise<unknown>

/** Any Redis failure is 503 session_store_unavailable to the client (the cause goes to the log). */
export function unavailable (err: unknown): never {
  const mapped = sessionStoreUnavailable()
  mapped.cause = err
  throw mapped
}

/**
 * The session store's way to Redis: its Lua scripts as commands of the client's own (ioredis's
 * `defineCommand` sends each by its SHA-1, and in full when Redis does not have it yet: a new
 * server, a failover, SCRIPT FLUSH), and the commands of one turn of the event loop (many
 * requests' worth under load) in one write: the connection's socket is corked at the turn's first
 * command and uncorked once the turn's I/O callbacks have run, so Redis reads them in one go too.
 * A Cluster spreads commands over several connections: there each leaves at once.
 */
export class ScriptClient {
  /** Commands can wait for the end of the turn (not a Cluster). */
  readonly batching: boolean
  private corked = false
  private readonly stream: { cork: () => void, uncork: () => void } | undefined

  constructor (private readonly redis: Redis) {
    this.batching = (redis as { isCluster?: boolean }).isCluster !== true
    this.stream = (redis as { stream?: { cork: () => void, uncork: () => void } }).stream
  }

  /**
   * A script as a command. Its name carries the SHA-1, so instances with other settings in one
   * process define other scripts. `numberOfKeys` null: the call gives the count first.
   */
  define (script: RedisScript, numberOfKeys: number | null): ScriptCall {
    const commands = this.redis as unknown as Record<string, ScriptCall>
    const name = `sqlgate_${script.sha}`
    if (typeof commands[name] !== 'function') this.redis.defineCommand(name, { lua: script.lua, ...(numberOfKeys === null ? {} : { numberOfKeys }) })
    return (...args) => commands[name]!(...args)
  }

  /** Runs a script with its keys and arguments; any Redis failure is 503 session_store_unavailable. */
  run (call: ScriptCall, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    this.batchTurn()
    return call(...keys, ...args).catch(unavailable)
  }

  /** A plain command, with its failures mapped as a script's are. */
  async command<T> (work: (redis: Redis) => Promise<T>): Promise<T> {
    try {
      return await work(this.redis)
    } catch (err) {
      unavailable(err)
    }
  }

  private batchTurn (): void {
    if (this.corked || this.stream === undefined || this.redis.status !== 'ready') return
    this.corked = true
    this.stream.cork()
    setImmediate(() => {
      this.corked = false
      this.stream?.uncork()
    })
  }
}
