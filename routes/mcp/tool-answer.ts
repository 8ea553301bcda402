import type { RequestId } from '@modelcontextprotocol/sdk/types.js'
import { AnswerLane, answerLane, writeJson } from '../../plugins/app/query/answer-lane.js'
import { LongText } from '../../plugins/app/query/long-values.js'
import type { ClientConnection } from '../../plugins/app/query/statement-watchdog.js'

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
 * bucket), a step at a time: J by `writeJson`, then again its escape and its copy into one buffer.
 * Written at once, each large MCP answer held every other request for tens of milliseconds.
 */
export function toolAnswerJson (pieces: Iterator<string | LongText, void>, id: RequestId, client: ClientConnection | undefined, turn: string, lane: AnswerLane = answerLane): string | Promise<Buffer> {
  const tail = '},"jsonrpc":"2.0","id":' + JSON.stringify(id) + '}'
  const json = writeJson(pieces, client, turn, lane)
  if (typeof json === 'string') return HEAD + JSON.stringify(json).slice(1, -1) + MIDDLE + json + tail
  // The text is J's bytes escaped as a JSON string's, at most two bytes each (a quote or a
  // backslash: its control characters are escaped already), then J itself, as it is.
  return json.then(async (bytes) => await writeJson([HEAD, new LongText(bytes, 2 * bytes.length + 2), MIDDLE, bytes, tail].values(), client, turn, lane) as Buffer)
}

const HEAD = '{"result":{"content":[{"type":"text","text":"'
const MIDDLE = '"}],"structuredContent":'
