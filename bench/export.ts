import { spawn } from 'node:child_process'
import { request } from 'node:http'
import mysql from 'mysql2/promise'
import { cpuUs, rssDuring } from './machine.js'
import { DATABASE, median, MYSQL_URL, ROUNDS } from './settings.js'

/**
 * The export section: a million rows of five columns (an integer key, a VARCHAR, a DECIMAL, a
 * DATETIME, a nullable VARCHAR) read to nowhere by the database's own command-line client
 * (`mariadb --batch --quick`) and exported as CSV (and NDJSON) through POST /api/query/export by
 * a client that discards the bytes, alternating in each round. Then a client that reads at 1 MB/s
 * for a while: the process's memory must stay flat.
 */
const ROWS = 1_000_000
const QUERY = `SELECT * FROM ${DATABASE}.big`
const SLOW_READ_SECONDS = 10

interface Read { ms: number, bytes: number, cpuMs: number | null }

export async function createExportTable (): Promise<void> {
  const admin = await mysql.createConnection({ uri: MYSQL_URL, multipleStatements: true })
  await admin.query(`USE ${DATABASE}; DROP TABLE IF EXISTS big;
    CREATE TABLE big (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(10,2), created_at DATETIME, note VARCHAR(40) NULL);
    INSERT INTO big SELECT seq, CONCAT('item ', seq), seq / 100, '2026-01-01 00:00:00' + INTERVAL seq SECOND,
      IF(seq % 3 = 0, NULL, CONCAT('note, "', seq, '"')) FROM seq_1_to_${ROWS}`)
  await admin.end()
}

/** The command-line client reading the table to nowhere, timed by /usr/bin/time (its CPU too). */
function cliRead (): Promise<Read> {
  const url = new URL(MYSQL_URL)
  const args = ['-f', '%U %S', 'mariadb', '--batch', '--quick', '-h', url.hostname, '-P', url.port || '3306', '-u', decodeURIComponent(url.username || 'root'), '-e', QUERY]
  const child = spawn('/usr/bin/time', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MYSQL_PWD: decodeURIComponent(url.password) } })
  let bytes = 0
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { bytes += chunk.length })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const started = performance.now()
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`mariadb --batch --quick exited with ${code}: ${stderr}`))
      const [user, system] = stderr.trim().split('\n').at(-1)!.split(' ').map(Number)
      resolve({ ms: performance.now() - started, bytes, cpuMs: ((user ?? 0) + (system ?? 0)) * 1000 })
    })
  })
}

/** One export read by a client that discards it (at `bytesPerSecond` at most, for `forMs`, when given). */
function exportRead (port: number, sessionId: string, format: string, throttle?: { bytesPerSecond: number, forMs: number }): Promise<{ ms: number, bytes: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const req = request({ host: '127.0.0.1', port, path: '/api/query/export', method: 'POST', headers: { 'content-type': 'application/json', 'x-session-id': sessionId } }, (res) => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        if (throttle === undefined) return
        const elapsed = performance.now() - started
        if (elapsed > throttle.forMs) {
          req.destroy()
          resolve({ ms: elapsed, bytes })
          return
        }
        const ahead = bytes / throttle.bytesPerSecond * 1000 - elapsed
        if (ahead > 0) {
          res.pause()
          setTimeout(() => res.resume(), ahead)
        }
      })
      res.on('end', () => resolve({ ms: performance.now() - started, bytes }))
      res.on('error', reject)
    })
    req.on('error', (err) => { if (throttle === undefined) reject(err) })
    req.end(JSON.stringify({ query: QUERY, format }))
  })
}

/** An export as the server measures it: the client's time and bytes, the server's CPU and RSS growth. */
async function exportMeasured (pid: number, port: number, sessionId: string, format: string): Promise<Read & { rssGrowth: number }> {
  const cpuBefore = cpuUs(pid)
  const { result, before, max } = await rssDuring(pid, async () => exportRead(port, sessionId, format))
  return { ...result, cpuMs: (cpuUs(pid) - cpuBefore) / 1000, rssGrowth: max - before }
}

export async function exportSection (pid: number, port: number, sessionId: string): Promise<string> {
  const cli: Read[] = []
  const csv: Array<Read & { rssGrowth: number }> = []
  const ndjson: Array<Read & { rssGrowth: number }> = []
  await exportMeasured(pid, port, sessionId, 'csv') // warm-up
  for (let round = 1; round <= ROUNDS; round++) {
    cli.push(await cliRead())
    csv.push(await exportMeasured(pid, port, sessionId, 'csv'))
    ndjson.push(await exportMeasured(pid, port, sessionId, 'ndjson'))
    console.log(`round ${round} export  mariadb ${cli.at(-1)!.ms.toFixed(0)} ms, sqlgate CSV ${csv.at(-1)!.ms.toFixed(0)} ms, NDJSON ${ndjson.at(-1)!.ms.toFixed(0)} ms`)
  }
  const slow = await rssDuring(pid, async () => exportRead(port, sessionId, 'csv', { bytesPerSecond: 1_048_576, forMs: SLOW_READ_SECONDS * 1000 }))
  const row = (name: string, reads: Read[]) => {
    const ms = median(reads.map((r) => r.ms))
    const cpu = reads.some((r) => r.cpuMs === null) ? null : median(reads.map((r) => r.cpuMs!))
    return `| ${name} | ${(ROWS / ms * 1000).toFixed(0)} | ${(median(reads.map((r) => r.bytes)) / 1048576 / ms * 1000).toFixed(1)} | ${ms.toFixed(0)} | ${cpu === null ? 'n/a' : cpu.toFixed(0)} |`
  }
  const ratio = (reads: Read[]) => (median(cli.map((r) => r.ms)) / median(reads.map((r) => r.ms))).toFixed(2)
  const byRound = csv.map((r, i) => (cli[i]!.ms / r.ms).toFixed(2)).join(', ')
  return `
## Export — ${ROWS.toLocaleString('en')} rows, five columns (medians of ${ROUNDS} rounds)

| client | rows/s | MB/s | ms | CPU ms per million rows |
|---|---|---|---|---|
${row('mariadb --batch --quick (to /dev/null)', cli)}
${row('sqlgate CSV (POST /api/query/export)', csv)}
${row('sqlgate NDJSON', ndjson)}

- sqlgate CSV rows per second / the command-line client's: ${ratio(csv)} (round by round: ${byRound}); NDJSON ${ratio(ndjson)}
- RSS growth of the sqlgate process during an export: CSV ${Math.max(...csv.map((r) => r.rssGrowth)).toFixed(0)} MB, NDJSON ${Math.max(...ndjson.map((r) => r.rssGrowth)).toFixed(0)} MB at most
- a client reading at 1 MB/s for ${SLOW_READ_SECONDS} s (${(slow.result.bytes / 1048576).toFixed(1)} MB read): RSS ${slow.before.toFixed(0)} MB before, ${slow.max.toFixed(0)} MB at most (+${(slow.max - slow.before).toFixed(0)} MB)
- CPU: the command-line client's own process; sqlgate's server process (the database server's work is the same for both)
`
}
