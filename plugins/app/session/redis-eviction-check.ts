import fp from 'fastify-plugin'
import type { Cluster, Redis } from 'ioredis'

export interface EvictingNode {
  /** host:port, for a Redis Cluster's nodes; '' for the one server. */
  node: string
  policy: string
  maxmemory: string
}

/**
 * The nodes that may evict a session's keys: a `maxmemory` limit with any `maxmemory-policy` but
 * `noeviction` (the `volatile-*` policies too: every session key has a TTL). Throws when Redis
 * refuses `CONFIG` (managed services often rename or forbid it).
 */
export async function evictingNodes (client: Redis | Cluster): Promise<EvictingNode[]> {
  const nodes: Redis[] = 'nodes' in client ? client.nodes('master') : [client]
  const found: EvictingNode[] = []
  for (const node of nodes) {
    // One pattern rather than two names: CONFIG GET takes a single parameter before Redis 7.
    const pairs = await node.config('GET', 'maxmemory*') as string[]
    const settings = new Map<string, string>()
    for (let i = 0; i + 1 < pairs.length; i += 2) settings.set(pairs[i]!, pairs[i + 1]!)
    const policy = settings.get('maxmemory-policy') ?? 'noeviction'
    const maxmemory = settings.get('maxmemory') ?? '0'
    if (policy !== 'noeviction' && maxmemory !== '0') {
      found.push({ node: 'nodes' in client ? `${node.options.host ?? ''}:${node.options.port ?? ''}` : '', policy, maxmemory })
    }
  }
  return found
}

/**
 * A session is its keys in Redis. A Redis that evicts keys when it is full drops sessions'
 * contexts under memory pressure, and their next queries answer 409 database_context_missing: the
 * seed's "No database context found for session", at random. With `noeviction`, a full Redis
 * refuses writes instead, which clients see as 503 session_store_unavailable. Start-up reads the
 * setting and warns; where Redis does not allow `CONFIG`, it says so at debug level only.
 */
export default fp(async function redisEvictionCheckPlugin (fastify) {
  fastify.addHook('onReady', async () => {
    let evicting: EvictingNode[]
    try {
      evicting = await evictingNodes(fastify.redis as unknown as Redis | Cluster)
    } catch (err) {
      fastify.log.debug({ err }, 'could not read Redis\'s maxmemory-policy (CONFIG GET); check that it is noeviction')
      return
    }
    for (const { node, policy, maxmemory } of evicting) {
      fastify.log.warn({ maxmemory_policy: policy, maxmemory: Number(maxmemory), ...(node === '' ? {} : { node }) },
        `Redis may evict session keys when it is full (maxmemory-policy ${policy}): sessions would lose their database context at random, and their queries answer 409 database_context_missing. Set maxmemory-policy noeviction on the session store's Redis (see README, "Deployment").`)
    }
  })
}, { name: 'redis-eviction-check', dependencies: ['redis'] })
