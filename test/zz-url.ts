import { build } from '/work/main/test/helper.js'
const t = { teardown: (_fn: () => unknown) => {} }
const app = await build(t)
for (const url of ['/%zz', '/api/%zz', '/nope']) {
  const res = await app.inject({ url })
  console.log(url, res.statusCode, res.headers['cache-control'], res.headers['content-security-policy'])
}
await app.close()
process.exit(0)
