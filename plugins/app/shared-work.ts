/**
 * Work shared while it runs: a call whose key is being worked on already gets that work's
 * promise instead of starting its own, and the key is forgotten as the work settles. Nothing is
 * kept after it (no cache): a call after the work ends starts afresh, so what it answers is never
 * older than the call. For reads that only depend on their key (a catalog query and its values,
 * /ready's check).
 */
export function shareWhileRunning<T> (): (key: string, work: () => Promise<T>) => Promise<T> {
  const running = new Map<string, Promise<T>>()
  return (key, work) => {
    const shared = running.get(key)
    if (shared !== undefined) return shared
    const promise = work().finally(() => running.delete(key))
    running.set(key, promise)
    return promise
  }
}
