import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { createDatabase, freePort, randomSessionId, testConfig, TEST_COOKIE_SECRET } from '../../../helper.js'

/** The peak resident memory of process `pid` so far, in MB. */
function peakRssMb (pid: number): number {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
}

/**
 * A value of control characters weighs six bytes of JSON each: one row of 16 MB of them had made a
 * 96 MB answer against an 8 MiB budget, and four at once took the process past 1 GB and stalled
 * another session. Now the budget counts the answer's bytes, and a first row past it is cut.
 * A real process, so its resident memory can be read; the bounds are generous (docs/security.md's
 * figures come from npm run bench).
 */
t.test('four 16 MB values of control characters at once: answers within the budget, bounded memory, a bystander still answered', async (t) => {
  const port = await freePort()
  const config = testConfig()
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: new URL('../../../..', import.meta.url).pathname,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      REDIS_URL: config.REDIS_URL,
      REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
      MYSQL_URL: config.MYSQL_URL,
      COOKIE_SECRET: TEST_COOKIE_SECRET,
      LOG_LEVEL: 'warn',
      // As `npm run start:prod` and the image run it (docs/deployment.md, "Memory after large answers").
      MALLOC_MMAP_THRESHOLD_: '131072'
    },
    stdio: 'ignore'
  })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; i < 100 && !(await fetch(`${base}/ready`).then((res) => res.ok, () => false)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const db = await createDatabase(t)
  const post = async (sessionId: string, body: Record<string, unknown>) => fetch(`${base}/api/${'query' in body ? 'query' : 'database/select'}`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-session-id': sessionId }, body: JSON.stringify(body)
  })
  const sessions = [randomSessionId(), randomSessionId(), randomSessionId(), randomSessionId(), randomSessionId()]
  for (const session of sessions) await post(session, { database_name: db })
  const [bystander, ...heavy] = sessions as [string, ...string[]]
  await post(bystander, { query: 'SELECT 1' })
  const before = peakRssMb(child.pid!)

  const watch = { stop: false }
  let slowest = 0
  const watching = (async () => {
    while (!watch.stop) {
      const asked = performance.now()
      await (await post(bystander, { query: 'SELECT 1 AS one' })).json()
      slowest = Math.max(slowest, performance.now() - asked)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })()
  const answers = await Promise.all(heavy.map(async (session) => {
    const res = await post(session, { query: 'SELECT REPEAT(CHAR(1 USING utf8mb4), 16000000) AS v' })
    return { status: res.status, text: await res.text() }
  }))
  watch.stop = true
  await watching

  for (const answer of answers) {
    t.equal(answer.status, 200)
    t.ok(answer.text.length <= 8_388_608 + 4096, `an answer of ${(answer.text.length / 1048576).toFixed(1)} MiB, within the 8 MiB budget`)
    const body = JSON.parse(answer.text) as { truncated: boolean, truncated_values: number, truncated_columns: string[] }
    t.match(body, { truncated: true, truncated_values: 1, truncated_columns: ['v'] })
  }
  const peak = peakRssMb(child.pid!)
  // mysql2 receives each 16 MB row whole before it can be cut (the server's max_allowed_packet
  // bounds a row, and a session cannot lower it): that, not the answers, is what is left of the
  // memory and of the bystander's wait. Generous bounds; the figures are in docs/security.md.
  t.ok(peak < 400, `peak RSS ${peak.toFixed(0)} MB (${before.toFixed(0)} MB before)`)
  t.ok(slowest < 1500, `the bystander's slowest SELECT 1 took ${slowest.toFixed(0)} ms`)
})
