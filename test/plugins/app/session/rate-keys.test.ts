import t from 'tap'
import { addressBucket } from '../../../../plugins/app/session/rate-keys.js'

t.test('an address counts for its client: IPv4 as itself, IPv6 by its /56', async (t) => {
  const cases: Array<[string, string]> = [
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::ffff:c000:207', '192.0.2.7'],
    ['2001:db8:1:ab12::1', '2001:db8:1:ab00::/56'],
    ['2001:db8:1:abff:ffff:ffff:ffff:ffff', '2001:db8:1:ab00::/56'],
    ['2001:0db8:0001:ab00:0000:0000:0000:0001', '2001:db8:1:ab00::/56'],
    ['2001:db8:1:ac00::1', '2001:db8:1:ac00::/56'],
    ['2001:db8::', '2001:db8:0:0::/56'],
    ['64:ff9b::1.2.3.4', '64:ff9b:0:0::/56'],
    ['fe80::1%eth0', 'fe80:0:0:0::/56'],
    ['::1', '0:0:0:0::/56'],
    ['not an address', 'not an address']
  ]
  for (const [address, bucket] of cases) t.equal(addressBucket(address), bucket, address)
})
