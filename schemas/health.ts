import { Type } from '@sinclair/typebox'

export const HealthReplySchema = Type.Object({ status: Type.Literal('ok') }, { description: 'The process answers', examples: [{ status: 'ok' }] })

const CheckState = Type.Union([Type.Literal('ok'), Type.Literal('unavailable')])

export const ReadyReplySchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Object({ redis: CheckState, mysql: CheckState })
}, { description: 'Whether Redis and the database answer', examples: [{ status: 'ready', checks: { redis: 'ok', mysql: 'ok' } }] })
