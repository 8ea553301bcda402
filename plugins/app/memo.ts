/**
 * A bounded memo of a pure function of a string: once `size` keys are held, the oldest is
 * forgotten, and a key longer than `maxKeyLength` is computed every time and never held (so the
 * memo holds at most `size` keys of at most that length). For work that only depends on its input
 * (an HMAC of a session id, say) and is worth not redoing on every request; never for state.
 */
export function memoize<T> (size: number, compute: (key: string) => T, maxKeyLength = Infinity): (key: string) => T {
  const cache = new Map<string, T>()
  return (key) => {
    if (key.length > maxKeyLength) return compute(key)
    if (cache.has(key)) return cache.get(key) as T
    const value = compute(key)
    if (cache.size >= size) cache.delete(cache.keys().next().value as string)
    cache.set(key, value)
    return value
  }
}
