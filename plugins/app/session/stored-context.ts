import type { DatabaseContext } from '../../../schemas/database.js'

/** A stored context must look right to be used; anything else counts as no context. */
export function parseContext (raw: unknown): DatabaseContext | null {
  if (typeof raw !== 'string') return null
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null) return null
  const { database_name: name, selected_at: selectedAt } = value as Record<string, unknown>
  return typeof name === 'string' && name.length > 0 && typeof selectedAt === 'string'
    ? { database_name: name, selected_at: selectedAt }
    : null
}
