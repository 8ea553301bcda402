import type { RequestId } from '@modelcontextprotocol/sdk/types.js'
import { AnswerLane, answerLane, writeJson } from '../../plugins/app/query/answer-lane.js'
import { JsonEscapeWriter } from '../../plugins/app/query/json-text.js'
import type { LongText } from '../../plugins/app/query/long-values.js'
import { clientClosedDuringAnswer } from '../../plugins/app/query/query-errors.js'
import type { ClientConnection } from '../../plugins/app/query/statement-watchdog.js'

/** How many bytes of the answer one step of the lane escapes or copies. */
const STEP_BYTES = 64 * 1024

/**
 * A tool's result (a query's answer, a schema) as the JSON-RPC answer that carries it: its text
 * content and its structured content are both the result's JSON as the HTTP route writes it (J,
 * from `pieces`), the text as a JSON string:
 *
 *   {"result":{"content":[{"type":"text","text":"<J escaped>"}],"structuredContent":<J>},"jsonrpc":"2.0","id":<id>}
 *
 * That is the SDK's message as `JSON.stringify` writes it, but that the structured content's JSON
 * values keep every digit, as the text's do. A small answer is written at once; a large one in
 * the answer lane (plugins/app/query/answer-lane.ts), in `turn`'s turns (its client's address
 * bucket), a step at a time: J, then its escape and its copy into one buffer. Written at once,
 * each large MCP answer held every other request for tens of milliseconds.
 */
export function toolAnswerJson (pieces: Iterator<string | LongText, void>, id: RequestId, client: ClientConnection | undefined, turn: string, lane: AnswerLane = answerLane): string | Promise<Buffer> {
  const tail = '},"jsonrpc":"2.0","id":' + JSON.stringify(id) + '}'
  const json = writeJson(pieces, client, turn, lane)
  if (typeof json === 'string') return HEAD + JSON.stringify(json).slice(1, -1) + MIDDLE + json + tail
  return json.then((bytes) => escapeAndCopy(bytes, tail, client, lane, turn))
}

const HEAD = '{"result":{"content":[{"type":"text","text":"'
const MIDDLE = '"}],"structuredContent":'

/** The answer's bytes written into the message's buffer, in the lane: its escape, then itself. */
function escapeAndCopy (bytes: Buffer, tail: string, client: ClientConnection | undefined, lane: AnswerLane, turn: string): Promise<Buffer> {
  // An escaped byte of JSON text is at most two: a quote or a backslash (its control characters are escaped already).
  const out = Buffer.allocUnsafe(HEAD.length + 2 * bytes.length + MIDDLE.length + bytes.length + Buffer.byteLength(tail))
  let pos = out.write(HEAD)
  const escaping = new JsonEscapeWriter(bytes, out, pos, out.length)
  let copied = -1
  return new Promise((resolve, reject) => {
    lane.add(() => {
      if (client?.destroyed === true) {
        reject(clientClosedDuringAnswer())
        return false
      }
      if (copied === -1) {
        if (escaping.step(STEP_BYTES)) return true
        pos = escaping.pos + out.write(MIDDLE, escaping.pos)
        copied = 0
      }
      const to = Math.min(bytes.length, copied + STEP_BYTES)
      pos += bytes.copy(out, pos, copied, to)
      copied = to
      if (copied < bytes.length) return true
      pos += out.write(tail, pos)
      resolve(out.subarray(0, pos))
      return false
    }, turn)
  })
}
