import t from 'tap'
import { isoNow } from '../../../plugins/app/iso-time.js'

t.test('isoNow writes what Date#toISOString writes, within a second and across seconds', async (t) => {
  let mismatches = 0
  let start = Date.UTC(2026, 11, 31, 23, 59, 58, 990) // across a minute, an hour, a day and a year
  for (let i = 0; i < 3000; i++) {
    const now = start + i
    if (isoNow(now) !== new Date(now).toISOString()) mismatches++
  }
  // Random times, each usually in another second than the one before (the kept text is replaced).
  for (let i = 0; i < 20_000; i++) {
    start = Math.floor(Math.random() * Date.UTC(2200, 0, 1))
    if (isoNow(start) !== new Date(start).toISOString()) mismatches++
    if (isoNow(start + 1) !== new Date(start + 1).toISOString()) mismatches++
  }
  t.equal(mismatches, 0)
  t.match(isoNow(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'and now, by default')
  t.ok(Math.abs(Date.parse(isoNow()) - Date.now()) < 1000)
})
