import { readFileSync } from 'node:fs'
import mysql from 'mysql2/promise'
import { Redis } from 'ioredis'
import { MYSQL_URL, REDIS_URL } from './settings.js'

/** CPU time (user + system) a process has used so far, in microseconds. */
export function cpuUs (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 1e6 / 100 // clock ticks: 100 per second on Linux
}

/** A process's resident memory now and at its peak so far, in MB. */
export function rssMb (pid: number): { rss: number, peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024
  return { rss: field('VmRSS'), peak: field('VmHWM') }
}

/** The highest RSS of `pid` while `work` runs, sampled every 10 ms, and what it was before, in MB. */
export async function rssDuring<T> (pid: number, work: () => Promise<T>): Promise<{ result: T, before: number, max: number }> {
  const before = rssMb(pid).rss
  let max = before
  const sampler = setInterval(() => { max = Math.max(max, rssMb(pid).rss) }, 10)
  try {
    const result = await work()
    return { result, before, max: Math.max(max, rssMb(pid).rss) }
  } finally {
    clearInterval(sampler)
  }
}

/**
 * The Redis server's pid when it runs on this machine (its CPU then counts against the same cores),
 * or null: the run reports Redis's CPU per request only when it can read it.
 */
export async function localRedisPid (): Promise<number | null> {
  const redis = new Redis(REDIS_URL)
  try {
    const pid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1])
    cpuUs(pid)
    return pid
  } catch {
    return null
  } finally {
    redis.disconnect()
  }
}

/**
 * The MariaDB (or MySQL) server's pid when it runs on this machine: its pid file is readable here
 * and names a live mariadbd or mysqld. Otherwise null, and its CPU per request is not reported.
 */
export async function localMysqlPid (): Promise<number | null> {
  const admin = await mysql.createConnection({ uri: MYSQL_URL })
  try {
    const [rows] = await admin.query<Array<{ file: string | null } & mysql.RowDataPacket>>('SELECT @@pid_file AS file')
    const pid = Number(readFileSync(rows[0]?.file ?? '', 'utf8').trim())
    const name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
    return name === 'mariadbd' || name === 'mysqld' ? pid : null
  } catch {
    return null
  } finally {
    await admin.end()
  }
}
