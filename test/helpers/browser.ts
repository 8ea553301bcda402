import { existsSync } from 'node:fs'

/** Debian's Chromium, for the browser tests (CHROMIUM_PATH for another one). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/** Browser tests are skipped where Chromium is absent, except in CI, which must run them (.ci/run installs it). */
export const skipWithoutChromium = !existsSync(CHROMIUM) && process.env.CI !== 'true'
  ? `browser tests need Chromium at ${CHROMIUM} (apt-get install chromium)`
  : false
