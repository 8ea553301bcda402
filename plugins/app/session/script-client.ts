import type { Redis } from 'ioredis'
import { sessionStoreUnavailable } from '../errors/errors.js'
import type { RedisScript } from './session-scripts.js'

function isNoScript (err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT')
}

export type ScriptCall = (...args: Array<string | number>) => Promise<unknown>

/** Any Redis failure is 503 session_store_unavailable to the client (the cause goes to the log). */
export function unavailable (err: unknown): never {
  const mapped = sessionStoreUnavailable()
  mapped.cause = err
  throw mapped
}

/**
 * The session store's way to Redis: its Lua scripts sent as EVALSHA by their SHA-1, and in full
 * (EVAL) when Redis answers NOSCRIPT (a new server, a failover, SCRIPT FLUSH); and the commands of
 * one turn of the event loop (many requests' worth under load) in one write: the connection's
 * socket is corked at the turn's first command and uncorked once the turn's I/O callbacks have
 * run, so Redis reads them in one go too. A Cluster spreads commands over several connections:
 * there each leaves at once.
 *
 * The scripts go through ioredis's own `evalsha` and `eval` rather than `defineCommand`, whose
 * calls each build a Command subclass wrapped by a Script, a promise chain and a closure: on the
 * query route that was over a third of ioredis's CPU (docs/performance.md).
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
   * A script as a call: keys and arguments after the key count, or, with `numberOfKeys` null, the
   * count given first by the caller.
   */
  define (script: RedisScript, numberOfKeys: number | null): ScriptCall {
    const redis = this.redis
    const bySha = numberOfKeys === null
      ? (args: Array<string | number>) => redis.evalsha(script.sha, ...(args as [string, ...string[]]))
      : (args: Array<string | number>) => redis.evalsha(script.sha, numberOfKeys, ...args)
    const inFull = numberOfKeys === null
      ? (args: Array<string | number>) => redis.eval(script.lua, ...(args as [string, ...string[]]))
      : (args: Array<string | number>) => redis.eval(script.lua, numberOfKeys, ...args)
    // The connection the script was last sent in full on: Redis has it there (until a SCRIPT FLUSH
    // or a failover), so later calls on it go by SHA-1. A new connection gets it in full first,
    // and calls behind that one in the same write find it loaded. (A Cluster has no one stream:
    // there the first call of each node answers NOSCRIPT and is sent again in full.)
    let loadedOn: unknown = null
    return (...args) => {
      const stream = (redis as { stream?: unknown }).stream
      if (stream !== loadedOn) {
        loadedOn = stream
        return inFull(args)
      }
      return bySha(args).catch((err: unknown) => {
        if (!isNoScript(err)) throw err
        return inFull(args)
      })
    }
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
