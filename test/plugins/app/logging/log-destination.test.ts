import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { createReadStream, mkdtempSync, openSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { pino } from 'pino'
import { LogDestination, logDestination } from '../../../../plugins/app/logging/log-destination.js'

const root = new URL('../../../..', import.meta.url).pathname

/** A file to log to; destroying the destination closes its descriptor. */
function tempFile (): { path: string, fd: number } {
  const path = join(mkdtempSync(join(tmpdir(), 'sqlgate-log-')), 'out.log')
  return { path, fd: openSync(path, 'w') }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

t.test('lines of one turn arrive whole and in order; a lone line within the flush interval', async (t) => {
  const { path, fd } = tempFile()
  const destination = logDestination(fd, 4096, 50)
  t.teardown(() => destination.destroy())
  const lines = Array.from({ length: 300 }, (_, i) => `{"n":${i},"pad":"${'é'.repeat(i % 17)}"}\n`)
  for (const line of lines) destination.write(line) // 300 lines, well past 4 kB, in one turn
  await new Promise<void>((resolve, reject) => destination.flush((err) => err ? reject(err) : resolve()))
  t.equal(readFileSync(path, 'utf8'), lines.join(''), 'every line, in order, multi-byte characters intact')

  destination.write('{"lone":true}\n')
  const written = Date.now()
  while (!readFileSync(path, 'utf8').endsWith('{"lone":true}\n') && Date.now() - written < 2000) await sleep(5)
  t.ok(Date.now() - written < 500, `a lone line is written by the periodic flush (${Date.now() - written} ms)`)
})

t.test('a burst larger than the buffer is handed over while the turn still runs', async (t) => {
  // sonic-boom in its synchronous mode writes what it is handed at once, so the file shows what
  // was handed over by the end of the loop. (In the asynchronous mode, flushSync does not wait for
  // a write already under way, whose lines may land after it returns: the file would not tell.)
  const { path, fd } = tempFile()
  const destination = new LogDestination(pino.destination({ dest: fd, sync: true }), 4096)
  t.teardown(() => destination.destroy())
  const lines = Array.from({ length: 100 }, (_, i) => `{"burst":${i},"pad":"${'x'.repeat(100)}"}\n`)
  for (const line of lines) destination.write(line) // 11 kB in one turn
  const handed = readFileSync(path, 'utf8')
  t.ok(lines.join('').startsWith(handed), 'what was handed over is the burst\'s beginning, in order')
  t.ok(handed.length > lines.join('').length - 4096, `all but less than 4 kB of it was handed over within the turn (${handed.length} bytes)`)
  destination.flushSync()
  t.equal(readFileSync(path, 'utf8'), lines.join(''), 'flushSync hands over and writes the rest')
})

t.test('lines gathered when the process exits are written (pino flushes its destination)', async (t) => {
  const script = `
    import { pino } from 'pino'
    import { logDestination } from './plugins/app/logging/log-destination.ts'
    const log = pino({}, logDestination(1, 4096, 60_000))
    for (let i = 0; i < 5; i++) log.info({ i }, 'before exit')
    process.exit(0)
  `
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' })
  t.equal(child.status, 0, child.stderr)
  const lines = child.stdout.trim().split('\n').map((l) => JSON.parse(l) as { i: number, msg: string })
  t.strictSame(lines.map((l) => l.i), [0, 1, 2, 3, 4], 'all five lines, though no flush interval or buffer size was reached')
})

t.test('a log reader that stalls: lines past the bound are dropped, counted, and said so when it reads again', async (t) => {
  // A FIFO nobody reads yet, opened read-write so that opening does not wait for a reader: its
  // writes block once the pipe holds 64 kB, as a stalled log collector's would.
  const fifo = join(mkdtempSync(join(tmpdir(), 'sqlgate-log-')), 'fifo')
  execFileSync('mkfifo', [fifo])
  const destination = logDestination(openSync(fifo, 'r+'), 1024, 20, 64 * 1024)
  t.teardown(() => destination.destroy())
  const line = (i: number): string => `{"n":${i},"pad":"${'x'.repeat(80)}"}\n`
  const total = 10_000 // 1 MB of lines: far more than the pipe and the bound hold
  for (let i = 0; i < total; i++) {
    destination.write(line(i))
    if (i % 500 === 0) await sleep(1) // over several turns, as requests come
  }
  await sleep(100)

  let out = ''
  const reader = createReadStream(fifo, { encoding: 'utf8' })
  reader.on('data', (chunk: string | Buffer) => { out += chunk.toString() })
  t.teardown(() => reader.destroy())
  await sleep(100)
  destination.write('{"after":true}\n')
  const started = Date.now()
  // The notice of what was dropped comes within its interval once the pipe is read.
  const counted = () => out.split('\n').filter((text) => text.includes('"n":') || text.includes('dropped_lines')).reduce((sum, text) => sum + (text.includes('dropped_lines') ? (JSON.parse(text) as { dropped_lines: number }).dropped_lines : 1), 0)
  while ((!out.includes('{"after":true}') || counted() < total) && Date.now() - started < 5000) await sleep(10)

  const lines = out.trim().split('\n').map((text) => JSON.parse(text) as { n?: number, level?: number, dropped_lines?: number, msg?: string, after?: boolean })
  const delivered = lines.filter((entry) => entry.n !== undefined).map((entry) => entry.n!)
  const notices = lines.filter((entry) => entry.dropped_lines !== undefined)
  t.ok(delivered.length > 0 && delivered.length < total / 2, `${delivered.length} lines were written, the rest held no longer`)
  t.strictSame(delivered, [...delivered].sort((a, b) => a - b), 'in order')
  // A warning for each gap: the first lines went into the pipe while the rest queued, so there may
  // be a gap before the pipe filled, as well as the one until it was read.
  t.ok(notices.length >= 1, `${notices.length} warning(s) for the gaps`)
  for (const notice of notices) t.match(notice, { level: 40, msg: /log lines? (was|were) dropped: the log output was not being read/ })
  const dropped = notices.reduce((sum, notice) => sum + notice.dropped_lines!, 0)
  t.equal(delivered.length + dropped, total, `every line either written or counted (${delivered.length} + ${dropped})`)
  t.equal(new Set(delivered).size, delivered.length, 'none twice')
  t.ok(lines.some((entry) => entry.after === true), 'and logging goes on')
})

t.test('the flush at exit gives up on a pipe nobody reads, instead of holding the process for ever', async (t) => {
  const fifo = join(mkdtempSync(join(tmpdir(), 'sqlgate-log-')), 'fifo')
  execFileSync('mkfifo', [fifo])
  // As fd 1 is in the service (Node makes a stdout pipe non-blocking): a full pipe answers EAGAIN.
  const script = `
    import { constants, openSync } from 'node:fs'
    import { pino } from 'pino'
    import { logDestination } from './plugins/app/logging/log-destination.ts'
    const fd = openSync(process.env.LOG_FIFO, constants.O_RDWR | constants.O_NONBLOCK)
    const log = pino({}, logDestination(fd, 4096, 100))
    for (let i = 0; i < 20000; i++) log.info({ i, pad: 'x'.repeat(60) }, 'line') // 2 MB: far past the pipe's 64 kB
    setTimeout(() => process.exit(3), 300)
  `
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env: { ...process.env, LOG_FIFO: fifo }, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])))
  clearTimeout(killer)
  t.equal(signal, null, 'it exited by itself (it was not killed after 20 s)')
  t.equal(code, 3, `with its own exit code ${stderr}`)
})
