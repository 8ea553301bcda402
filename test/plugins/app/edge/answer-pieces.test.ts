import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { AnswerPieces, PIECE_BYTES } from '../../../../plugins/app/edge/answer-pieces.js'
import { loopbackPair } from '../../../helper.js'

t.test('a large answer to a slow reader: what the process holds for it is public and shrinks as the client reads', async (t) => {
  const { writer, reader } = await loopbackPair(t)
  // Far more than the kernel's buffers of both ends hold.
  const bytes = Buffer.alloc(64 * 1024 * 1024, 7)
  const answer = new AnswerPieces(bytes)
  answer.pipe(writer)
  const held = () => writer.writableLength + answer.remaining
  // Until the kernel's buffers of both ends are full.
  let before = -1
  for (let i = 0; i < 40 && held() !== before; i++) {
    before = held()
    await sleep(50)
  }
  t.ok(writer.writableLength <= PIECE_BYTES, `the socket holds at most a piece (${writer.writableLength} bytes)`)
  t.ok(before > 32 * 1024 * 1024 && before < bytes.length, `the rest waits in the answer (${before} bytes held)`)
  await sleep(200)
  t.equal(held(), before, 'nothing moves while the client does not read')

  reader.resume() // read some, then stop again
  await sleep(50)
  reader.pause()
  await sleep(50)
  t.ok(held() < before, `what is held shrinks as the client reads (${before} → ${held()})`)

  let received = 0
  reader.on('data', (chunk: Buffer) => { received += chunk.length })
  const ended = once(answer, 'close')
  reader.resume()
  await ended
  t.equal(answer.remaining, 0, 'every piece is handed over')
  answer.unpipe(writer)
  writer.end()
  await once(reader, 'end')
  t.ok(received > 0, 'and read')
})

t.test('a small answer is one piece; the pieces are the answer\'s bytes in order', async (t) => {
  const bytes = Buffer.from(Array.from({ length: 3 * PIECE_BYTES + 5 }, (_, i) => i % 251))
  const pieces: Buffer[] = []
  for await (const piece of new AnswerPieces(bytes)) pieces.push(piece as Buffer)
  t.strictSame(pieces.map((piece) => piece.length), [PIECE_BYTES, PIECE_BYTES, PIECE_BYTES, 5])
  t.ok(Buffer.concat(pieces).equals(bytes))
  const one: Buffer[] = []
  for await (const piece of new AnswerPieces(Buffer.from('{"a":1}'))) one.push(piece as Buffer)
  t.strictSame(one.map(String), ['{"a":1}'])
})
