import t from 'tap'
import { build, createDatabase, redisClient, selectedSession } from '../../../helper.js'
import { TICKET_ADDRESS_MAX_BYTES, TICKET_TTL_SECONDS } from '../../../../plugins/app/export/export-tickets.js'
import { ticketBytesKey } from '../../../../plugins/app/session/rate-keys.js'
import { exportTicketKey } from '../../../../plugins/app/session/session-keys.js'

t.test('the export tickets of one client address hold at most TICKET_ADDRESS_MAX_BYTES of requests', async (t) => {
  const app = await build(t)
  const db = await createDatabase(t)
  const [first, second] = [await selectedSession(app, db), await selectedSession(app, db)]
  // About 300 kB of UTF-8 each, in a statement that passes every check of an export.
  const body = { query: `SELECT '${'あ'.repeat(99_000)}' AS wide`, format: 'csv' }
  const redis = redisClient(t)
  const prefix = app.config.REDIS_KEY_PREFIX
  /** The bytes Redis holds for the ticket of `url` (the body as validated, defaults filled in). */
  const storedBytes = (sessionId: string, url: string) => redis.strlen(exportTicketKey(prefix, sessionId, url.split('/').pop()!))
  const ask = (sessionId: string, remoteAddress = '127.0.0.1', asked: unknown = body) =>
    app.inject({ method: 'POST', url: '/api/query/export/ticket', payload: asked as object, remoteAddress, headers: { 'x-session-id': sessionId } })

  const urls: string[] = []
  let refused = null
  for (let i = 0; i < 100 && refused === null; i++) {
    const res = await ask(i % 2 === 0 ? first : second)
    if (res.statusCode === 200) urls.push(res.json().url)
    else refused = res
  }
  const bytes = await storedBytes(first, urls[0]!)
  t.ok(bytes > 290_000, `a ticket holds its whole request (${bytes} bytes)`)
  t.equal(urls.length, Math.floor(TICKET_ADDRESS_MAX_BYTES / bytes), 'tickets until their bytes would pass the budget, over both sessions')
  t.ok(refused !== null, 'then a refusal')
  t.equal(refused!.statusCode, 429)
  t.equal(refused!.json().code, 'too_many_export_tickets')
  const retryAfter = Number(refused!.headers['retry-after'])
  t.ok(retryAfter >= 1 && retryAfter <= TICKET_TTL_SECONDS, `Retry-After within one window (${retryAfter} s)`)
  t.equal(refused!.json().retry_after_seconds, retryAfter)

  t.equal((await ask(first)).statusCode, 429, 'a refused ticket counts nothing: the next one is refused too')
  const small = await ask(second, '127.0.0.1', { query: 'SELECT 1', format: 'csv' })
  t.equal(small.statusCode, 200, 'a small request fits in what the budget has left')
  t.equal((await ask(first, '192.0.2.7')).statusCode, 200, 'another client address has its own budget')

  const window = Math.floor(Date.now() / (TICKET_TTL_SECONDS * 1000))
  const counts = await Promise.all([window, window - 1].map((w) => redis.get(ticketBytesKey(prefix, '127.0.0.1', w))))
  t.equal(counts.reduce((sum, count) => sum + Number(count ?? 0), 0), urls.length * bytes + await storedBytes(second, small.json().url), 'Redis counts the bytes of the tickets issued')
  const ttl = await redis.pttl(ticketBytesKey(prefix, '127.0.0.1', window))
  t.ok(ttl > TICKET_TTL_SECONDS * 1000 && ttl <= 2 * TICKET_TTL_SECONDS * 1000, `a window's count lives until its last ticket is gone (${ttl} ms)`)

  const file = await app.inject({ url: urls[0]!, headers: { 'x-session-id': first } })
  t.equal(file.statusCode, 200, 'the tickets issued still download')
  t.equal(file.rawPayload.length, Buffer.byteLength(`wide\r\n${'あ'.repeat(99_000)}\r\n`))
})
