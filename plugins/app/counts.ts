/**
 * Counts kept by key in a Map that drops a key when its count comes back to zero, so the map holds
 * only what is counted now (the pool's holders and waiters, the connections per client address).
 */
export function increment (counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1)
}

export function decrement (counts: Map<string, number>, key: string): void {
  const count = counts.get(key) ?? 0
  if (count <= 1) counts.delete(key)
  else counts.set(key, count - 1)
}
