import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process'

/**
 * `node` with `args`, from the repository's root, as a plain node (the way server.ts runs): through
 * env -i (PATH only), since tap adds its coverage hooks (NODE_OPTIONS) to every process a test
 * spawns, whatever environment the test gives it.
 */
export function spawnPlainNode (args: readonly string[], stdio: StdioOptions): ChildProcess {
  return spawn('env', ['-i', `PATH=${process.env.PATH ?? ''}`, process.execPath, ...args], { cwd: new URL('../..', import.meta.url).pathname, stdio })
}

/** The heap in use after a full collection (tests run with --expose-gc: package.json's tap node-arg). */
export function liveHeapBytes (): number {
  const { gc } = globalThis as { gc?: () => void }
  if (gc === undefined) throw new Error('liveHeapBytes needs node --expose-gc (tap passes it: package.json "tap"."node-arg")')
  gc()
  return process.memoryUsage().heapUsed
}

/** Servers a test starts must not outlive its process, even when a teardown does not run. */
export function killOnExit (child: import('node:child_process').ChildProcess): void {
  process.once('exit', () => child.kill('SIGKILL'))
}
