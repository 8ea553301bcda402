import { Type } from '@sinclair/typebox'

export const HealthReplySchema = Type.Object({ status: Type.Literal('ok') })

const CheckState = Type.Union([Type.Literal('ok'), Type.Literal('unavailable')])

export const ReadyReplySchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  checks: Type.Object({ redis: CheckState, mysql: CheckState })
})
