import t from 'tap'
import { AnswerLane, answerJson } from '../../../../plugins/app/query/answer-lane.js'
import { queryReplyJson } from '../../../../plugins/app/query/query-json.js'
import { cutLongText } from '../../../../plugins/app/query/long-values.js'
import type { QueryReply } from '../../../../schemas/query.js'

/** Busy for `ms` of this thread. */
function spin (ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until);
}

t.test('the lane shares each turn of the event loop out among its tasks, and leaves the turn after a few milliseconds', async (t) => {
  const lane = new AnswerLane()
  const done: string[] = []
  // Three tasks of 50 pieces of 1 ms each: 150 ms of work.
  const finished = Promise.all(['a', 'b', 'c'].map(async (name) => await new Promise<void>((resolve) => {
    let left = 50
    lane.add(() => {
      spin(1)
      if (--left > 0) return true
      done.push(name)
      resolve()
      return false
    })
  })))
  // Meanwhile, something else waits on the event loop again and again: it gets a turn every few
  // milliseconds of the lane's work. Counted in turns, not timed, so that the machine pausing this
  // process (a busy shared machine does) does not decide the test: 150 ms of work in turns of
  // about 4 ms leave it about 37 turns; a lane that finished a task per turn would leave it 3.
  let turns = 0
  let slowest = 0
  const watch = { stop: false }
  const other = (async () => {
    while (!watch.stop) {
      const asked = performance.now()
      await new Promise((resolve) => setImmediate(resolve))
      slowest = Math.max(slowest, performance.now() - asked)
      turns++
    }
  })()
  await finished
  watch.stop = true
  await other
  t.strictSame(done, ['a', 'b', 'c'], 'the tasks took turns: they finished in the order they came')
  t.ok(turns >= 15, `the rest of the process had ${turns} turns during the 150 ms of work (it waited ${slowest.toFixed(1)} ms at most)`)
})

t.test('the lane\'s turns go by client, then by answer: forty answers of one client do not put another\'s one behind them', async (t) => {
  const lane = new AnswerLane()
  const order: string[] = []
  const answer = (client: string, name: string, pieces: number) => new Promise<void>((resolve) => {
    let left = pieces
    lane.add(() => {
      order.push(name)
      if (--left > 0) return true
      resolve()
      return false
    }, client)
  })
  const hog = Array.from({ length: 40 }, (_, i) => answer('203.0.113.7', `hog${i}`, 10))
  const other = answer('198.51.100.9', 'other', 10)
  await other
  const before = order.lastIndexOf('other')
  t.equal(order.filter((name) => name === 'other').length, 10)
  t.ok(before < 25, `the other client's 10 pieces were all written within the first ${before + 1} of the lane's pieces (by answer, the 410th: the last)`)
  t.strictSame(order.slice(0, 6), ['hog0', 'other', 'hog1', 'other', 'hog2', 'other'], 'the clients alternate; a client\'s answers take its turns in order')
  await Promise.all(hog)
  t.equal(order.length, 410)
})

t.test('answerJson: a small answer is its text at once; a large one its bytes, written in the lane', async (t) => {
  const base: QueryReply = {
    success: true, query_id: 'q', session_id: 's', database_name: 'd', columns: [{ name: 'v', type: 'LONGTEXT' }], rows: [['x']], row_count: 1, truncated: false, execution_time_ms: 1
  }
  t.equal(answerJson(base), queryReplyJson(base), 'one piece: the text')
  const large: QueryReply = { ...base, rows: [['\u0001'.repeat(1_000_000)], ['é'.repeat(300_000)]], row_count: 2 }
  const bytes = await answerJson(large)
  t.ok(Buffer.isBuffer(bytes))
  t.equal((bytes as Buffer).toString(), queryReplyJson(large), 'its UTF-8 bytes, exactly')
  // Long texts cut from their bytes, escaped into the answer: the same JSON as their text's.
  const values = [Buffer.alloc(16_000_000, 1), Buffer.from('x"é\n€'.repeat(500_000)), Buffer.from('short')]
  const cut: QueryReply = { ...base, columns: [{ name: 'a', type: 'LONGTEXT' }, { name: 'b', type: 'LONGTEXT' }, { name: 'c', type: 'LONGTEXT' }], rows: [values.map((value, i) => cutLongText(value, [1_000_000, 2_000_001, 3][i]!))], truncated: true }
  const cutBytes = await answerJson(cut) as Buffer
  t.equal(cutBytes.toString(), queryReplyJson(cut), 'long texts escaped from their bytes: the same JSON as JSON.stringify writes for their text')
  t.equal(cutBytes.length, Buffer.byteLength(queryReplyJson(cut)), 'the answer is what was written, not the room kept for it')
})

t.test('answerJson: once the client has gone, the lane stops writing its answer and says why', async (t) => {
  const client = { destroyed: false }
  const large: QueryReply = {
    success: true, query_id: 'q', session_id: 's', database_name: 'd', columns: [{ name: 'v', type: 'LONGTEXT' }], rows: [['\u0001'.repeat(2_000_000)]], row_count: 1, truncated: false, execution_time_ms: 1
  }
  const answer = answerJson(large, client)
  t.ok(answer instanceof Promise, 'a large answer is written in the lane')
  setImmediate(() => { client.destroyed = true })
  await t.rejects(answer as Promise<Buffer>, { code: 'client_closed_request' })
})
