import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DATABASE, root, sleep } from './settings.js'

/** Set when the run stops its servers: their exits are expected then. */
export const run = { stopping: false }

export async function waitFor (url: string, timeoutMs = 20_000): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < timeoutMs) {
    const ok = await fetch(url).then((res) => res.ok, () => false)
    if (ok) return performance.now() - started
    await sleep(10)
  }
  throw new Error(`${url} did not answer`)
}

/** A server for the run; if it exits before the run stops it (a port in use, say), the run fails. */
export function start (args: string[], env: Record<string, string>, cwd = root): ChildProcess {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] })
  const kill = () => child.kill('SIGKILL')
  process.on('exit', kill)
  child.once('exit', (code, signal) => {
    process.off('exit', kill)
    if (run.stopping) return
    console.error(`${args.join(' ')} exited early (${signal ?? code}); is its port (${env.PORT}) in use?`)
    process.exit(1)
  })
  return child
}

/** `ref` checked out in a temporary worktree (sharing this checkout's node_modules) and built. */
export function buildRef (ref: string): { dir: string, remove: () => void } {
  const dir = join(mkdtempSync(join(tmpdir(), 'sqlgate-bench-')), 'tree')
  execFileSync('git', ['worktree', 'add', '--detach', dir, ref], { cwd: root, stdio: 'ignore' })
  const remove = () => { execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: root, stdio: 'ignore' }) }
  try {
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'))
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] })
  } catch (err) {
    remove()
    // tsc's errors went to stderr above.
    throw new Error(`${ref} did not build. Its worktree shares this checkout's node_modules, so a commit whose dependencies differ needs them installed first (npm install --no-save <package>@<version>).`, { cause: err })
  }
  return { dir, remove }
}

/** Each session selects the bench database on the sqlgate at `port`. */
export async function selectSessions (port: number, sessions: string[]): Promise<void> {
  for (const session of sessions) {
    await fetch(`http://127.0.0.1:${port}/api/database/select`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ database_name: DATABASE, session_id: session }) })
  }
}
