import { fork, spawn, type ChildProcess } from 'node:child_process'
import { rssDuring } from './machine.js'
import { median, MYSQL_URL, ROUNDS } from './settings.js'

/**
 * The answer-amplification section: four sessions ask at once for one 16 MB value of control
 * characters each (six bytes of JSON apiece, 96 MB of JSON uncut), against the default 8 MiB
 * answer budget, while a fifth session runs SELECT 1 every 20 ms. The goals (docs/security.md):
 * the process's RSS stays under 300 MB, and the bystander's slowest answer within 100 ms. Each round
 * first reads the four values with the database's own client while the bystander runs: what the
 * machine allows before sqlgate does any work. In both, the four are read by processes other than
 * the bystander's (./heavy-reader.ts for sqlgate's), as other clients' would be.
 */
const HEAVY = 'SELECT REPEAT(CHAR(1 USING utf8mb4), 16000000) AS v'

async function post (port: number, sessionId: string, query: string): Promise<{ status: number, bytes: number }> {
  const res = await fetch(`http://127.0.0.1:${port}/api/query`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-session-id': sessionId }, body: JSON.stringify({ query }) })
  return { status: res.status, bytes: (await res.arrayBuffer()).byteLength }
}

/** The bystander's slowest SELECT 1 through sqlgate while `work` runs. */
async function watched<T> (port: number, bystander: string, work: () => Promise<T>): Promise<{ result: T, slowest: number }> {
  let slowest = 0
  const state = { done: false }
  const watching = (async () => {
    while (!state.done) {
      const asked = performance.now()
      await post(port, bystander, 'SELECT 1 AS one')
      slowest = Math.max(slowest, performance.now() - asked)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })()
  const result = await work()
  state.done = true
  await watching
  return { result, slowest }
}

/** The heavy query through the database's own client, its answer thrown away. */
async function direct (): Promise<void> {
  const url = new URL(MYSQL_URL)
  const child = spawn('mariadb', ['--batch', '--quick', '-h', url.hostname, '-P', url.port || '3306', '-u', decodeURIComponent(url.username || 'root'), '-e', HEAVY],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, MYSQL_PWD: decodeURIComponent(url.password) } })
  await new Promise<void>((resolve, reject) => child.on('exit', (code) => { code === 0 ? resolve() : reject(new Error(`mariadb exited with ${code}`)) }))
}

/** The four heavy answers through sqlgate, asked for and read by the reader process. */
async function readHeavy (reader: ChildProcess, port: number, sessions: string[]): Promise<Array<{ status: number, bytes: number }>> {
  return await new Promise((resolve, reject) => {
    reader.once('message', (answers: Array<{ status: number, bytes: number }> | { error: string }) => {
      if ('error' in answers) reject(new Error(answers.error))
      else resolve(answers)
    })
    reader.send({ port, sessions, query: HEAVY })
  })
}

async function once (pid: number, port: number, sessions: string[], reader: ChildProcess): Promise<{ peak: number, before: number, slowest: number, floor: number, bytes: number }> {
  const [bystander, ...heavy] = sessions as [string, ...string[]]
  // The machine's floor: the same four values read by the database's own client, not through sqlgate.
  const floor = (await watched(port, bystander, async () => await Promise.all([1, 2, 3, 4].map(direct)))).slowest
  let slowest = 0
  const { result, before, max } = await rssDuring(pid, async () => {
    const run = await watched(port, bystander, async () => await readHeavy(reader, port, heavy.slice(0, 4)))
    slowest = run.slowest
    return run.result
  })
  if (result.some((answer) => answer.status !== 200)) throw new Error(`the heavy answers: ${JSON.stringify(result)}`)
  return { peak: max, before, slowest, floor, bytes: Math.max(...result.map((answer) => answer.bytes)) }
}

export async function amplificationSection (pid: number, port: number, sessions: string[]): Promise<string> {
  const reader = fork(new URL('./heavy-reader.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  const runs = []
  for (let round = 1; round <= ROUNDS; round++) {
    runs.push(await once(pid, port, sessions, reader))
    console.log(`round ${round} amplification  RSS ${runs.at(-1)!.peak.toFixed(0)} MB at most, bystander's slowest ${runs.at(-1)!.slowest.toFixed(0)} ms (${runs.at(-1)!.floor.toFixed(0)} ms with the values read straight from the database)`)
  }
  reader.disconnect()
  return `
## Answer amplification — four 16 MB values of control characters at once (${ROUNDS} rounds)

- each answer: ${(median(runs.map((r) => r.bytes)) / 1048576).toFixed(1)} MiB (the 8 MiB budget; 96 MB uncut)
- RSS of the sqlgate process: ${runs.map((r) => `${r.before.toFixed(0)} → ${r.peak.toFixed(0)}`).join(', ')} MB (goal: under 300 MB)
- a bystander's slowest SELECT 1 meanwhile: ${runs.map((r) => r.slowest.toFixed(0)).join(', ')} ms (goal: 100 ms)
- the same, with the four values read by the database's own client instead (the machine's floor: the database server's work for them shares the cores): ${runs.map((r) => r.floor.toFixed(0)).join(', ')} ms
`
}
