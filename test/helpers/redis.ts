import { Redis } from 'ioredis'
import type { TestContext } from './context.js'
import { freePort } from './network.js'
import { killOnExit } from './processes.js'

/** Where the tests find their services (override for a CI with other addresses). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/11'

/** A Redis client on the tests' logical database, for looking at what the service stored. */
export function redisClient (t: TestContext): Redis {
  const client = new Redis(TEST_REDIS_URL)
  t.teardown(() => client.quit())
  return client
}

/**
 * A redis-server of the test's own on a random port, that the test can stop and start again
 * (the shared one on 6379 is never stopped). Killed when the test ends.
 */
export async function throwawayRedis (t: TestContext): Promise<{ url: string, stop: () => Promise<void>, start: () => Promise<void> }> {
  const { spawn } = await import('node:child_process')
  const port = await freePort()
  let child: ReturnType<typeof spawn> | undefined
  const start = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    killOnExit(child)
    const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
    for (let i = 0; i < 100; i++) {
      try {
        await probe.connect()
        await probe.ping()
        probe.disconnect()
        return
      } catch {
        probe.disconnect()
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    throw new Error(`throwaway redis on ${port} did not start`)
  }
  const stop = async (): Promise<void> => {
    const running = child
    if (running === undefined || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill('SIGKILL')
    await exited
  }
  await start()
  t.teardown(stop)
  return { url: `redis://127.0.0.1:${port}`, stop, start }
}

async function portIsFree (port: number): Promise<boolean> {
  const { createServer } = await import('node:net')
  return await new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/**
 * A real Redis Cluster of three masters on random local ports (each with its bus port at
 * +10000), created with `redis-cli --cluster create`, killed and removed when the test ends.
 */
export async function throwawayRedisCluster (t: TestContext): Promise<{ nodes: string[], stop: (index: number) => Promise<void>, start: (index: number) => Promise<void> }> {
  const { spawn, execFile } = await import('node:child_process')
  const { mkdtemp, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { promisify } = await import('node:util')
  const run = promisify(execFile)
  const dir = await mkdtemp(`${tmpdir()}/sqlgate-cluster-`)
  const ports: number[] = []
  while (ports.length < 3) {
    const port = 20000 + Math.floor(Math.random() * 20000)
    if (!ports.includes(port) && await portIsFree(port) && await portIsFree(port + 10000)) ports.push(port)
  }
  const launch = (port: number) => spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
    '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir, '--save', '', '--appendonly', 'no'
  ], { stdio: 'ignore' })
  const children = ports.map(launch)
  children.forEach(killOnExit)
  t.teardown(async () => {
    for (const child of children) child.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })
  for (const port of ports) {
    for (let i = 0; i < 100; i++) {
      const ok = await run('redis-cli', ['-p', String(port), 'ping']).then(({ stdout }) => stdout.trim() === 'PONG', () => false)
      if (ok) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  const nodes = ports.map((port) => `127.0.0.1:${port}`)
  await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'])
  for (let i = 0; i < 100; i++) {
    const states = await Promise.all(ports.map((port) => run('redis-cli', ['-p', String(port), 'cluster', 'info']).then(({ stdout }) => stdout, () => '')))
    if (states.every((state) => state.includes('cluster_state:ok'))) {
      return {
        nodes,
        // A node's cluster config survives in `dir`, so a restarted node rejoins with its slots.
        stop: async (index: number) => {
          const child = children[index]!
          const exited = new Promise((resolve) => child.once('exit', resolve))
          child.kill('SIGKILL')
          await exited
        },
        start: async (index: number) => {
          children[index] = launch(ports[index]!)
          killOnExit(children[index]!)
          for (let i = 0; i < 100; i++) {
            const ok = await run('redis-cli', ['-p', String(ports[index]), 'cluster', 'info']).then(({ stdout }) => stdout.includes('cluster_state:ok'), () => false)
            if (ok) return
            await new Promise((resolve) => setTimeout(resolve, 100))
          }
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('the throwaway Redis Cluster did not become ready')
}
