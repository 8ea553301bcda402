import { randomBytes } from 'node:crypto'

/** The slice of tap's `t` the helpers need. */
export interface TestContext {
  teardown: (fn: () => unknown) => void
}

export function randomSuffix (bytes = 6): string {
  return randomBytes(bytes).toString('hex')
}
