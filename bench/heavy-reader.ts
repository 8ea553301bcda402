/**
 * The amplification section's heavy clients, in a process of their own (./amplification.ts): the
 * bystander is another client, as an unrelated session's user is, so its event loop does not also
 * receive the four large answers. On each message { port, sessions, query } it asks for `query`
 * once per session, all at once, reads each answer to its end and throws it away, and replies with
 * each answer's status and size.
 */
interface Ask { port: number, sessions: string[], query: string }

async function ask (port: number, sessionId: string, query: string): Promise<{ status: number, bytes: number }> {
  const res = await fetch(`http://127.0.0.1:${port}/api/query`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-session-id': sessionId }, body: JSON.stringify({ query }) })
  const body = res.body!.getReader()
  let bytes = 0
  for (let read = await body.read(); read.done !== true; read = await body.read()) bytes += read.value.byteLength
  return { status: res.status, bytes }
}

process.on('message', (message: Ask) => {
  Promise.all(message.sessions.map(async (sessionId) => await ask(message.port, sessionId, message.query)))
    .then((answers) => process.send!(answers), (err: unknown) => process.send!({ error: String(err) }))
})
process.on('disconnect', () => process.exit(0))
