import type { Redis } from 'ioredis'
import { sessionStoreUnavailable, type AppError } from '../errors/errors.js'
import type { RedisScript } from './session-scripts.js'

export type ScriptCall = (...args: Array<string | number>) => Promise<unknown>

/** A Redis failure as the client sees it: 503 session_store_unavailable (the cause goes to the log). */
export function storeFailure (err: unknown): AppError {
  const mapped = sessionStoreUnavailable()
  mapped.cause = err
  return mapped
}

/** Throws a Redis failure as `storeFailure` maps it. */
export function unavailable (err: unknown): never {
  throw storeFailure(err)
}

/**
 * The session store's way to Redis: its Lua scripts as commands of the client's own (ioredis's
 * `defineCommand` sends each by its SHA-1, and in full when Redis does not have it yet: a new
 * server, a failover, SCRIPT FLUSH).
 */
export class ScriptClient {
  /**
   * One script may take the calls of many sessions (./session-turn.ts, ./address-counts.ts): on
   * one Redis server, not on a Cluster, where their keys live in different slots.
   */
  readonly batching: boolean

  constructor (private readonly redis: Redis) {
    this.batching = (redis as { isCluster?: boolean }).isCluster !== true
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
}
