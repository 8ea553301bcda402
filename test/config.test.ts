import t from 'tap'
import { readFileSync } from 'node:fs'
import { ConfigError, loadConfig } from '../config.js'
import { ConfigSchema } from '../schemas/config.js'

t.test('defaults', async (t) => {
  const config = loadConfig({})
  t.match(config, {
    PORT: 3000,
    HOST: '127.0.0.1',
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: 'sqlgate:',
    MYSQL_URL: 'mysql://root@127.0.0.1:3306',
    COOKIE_SECURE: false,
    SESSION_TTL_SECONDS: 86400,
    DATABASE_ALLOWLIST: [],
    LOG_LEVEL: 'info'
  })
  t.equal(config.COOKIE_SECRET, undefined)
})

t.test('values are converted and lists split', async (t) => {
  const config = loadConfig({ PORT: '8080', COOKIE_SECURE: 'true', SESSION_TTL_SECONDS: '60', DATABASE_ALLOWLIST: ' sales , hr,, ' })
  t.equal(config.PORT, 8080)
  t.equal(config.COOKIE_SECURE, true)
  t.equal(config.SESSION_TTL_SECONDS, 60)
  t.strictSame(config.DATABASE_ALLOWLIST, ['sales', 'hr'])
})

t.test('production: a cookie secret is required and cookies are Secure by default', async (t) => {
  t.throws(() => loadConfig({ NODE_ENV: 'production' }), /COOKIE_SECRET is required/)
  const config = loadConfig({ NODE_ENV: 'production', COOKIE_SECRET: 'p'.repeat(32) })
  t.equal(config.COOKIE_SECURE, true)
  t.equal(loadConfig({ NODE_ENV: 'production', COOKIE_SECRET: 'p'.repeat(32), COOKIE_SECURE: 'false' }).COOKIE_SECURE, false)
})

t.test('a bad value is refused with an error naming the variable', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /^sqlgate config: PORT /],
    [{ PORT: '70000' }, /PORT/],
    [{ SESSION_TTL_SECONDS: '0' }, /SESSION_TTL_SECONDS/],
    [{ COOKIE_SECRET: 'short' }, /COOKIE_SECRET/],
    [{ COOKIE_SECRET: 'c'.repeat(32), COOKIE_SECRETS_ACCEPTED: `${'a'.repeat(32)},short` }, /COOKIE_SECRETS_ACCEPTED: every secret must be at least 32 characters/],
    [{ COOKIE_SECRETS_ACCEPTED: 'a'.repeat(32) }, /COOKIE_SECRETS_ACCEPTED needs COOKIE_SECRET/],
    [{ COOKIE_SECURE: 'maybe' }, /COOKIE_SECURE/],
    [{ COOKIE_PATH: 'sqlgate' }, /COOKIE_PATH/],
    [{ COOKIE_PATH: '/a;Domain=evil.example' }, /COOKIE_PATH/],
    [{ COOKIE_PATH: '/a b' }, /COOKIE_PATH/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
    [{ REDIS_URL: 'http://x' }, /REDIS_URL/],
    [{ REDIS_KEY_PREFIX: 'has{brace}' }, /REDIS_KEY_PREFIX/],
    [{ MYSQL_URL: 'postgres://u:hunter2@db' }, /MYSQL_URL/],
    [{ MYSQL_URL: 'mysql://' }, /MYSQL_URL/]
  ]
  for (const [env, pattern] of cases) {
    t.throws(() => loadConfig(env), pattern, JSON.stringify(env))
    t.throws(() => loadConfig(env), ConfigError)
  }
})

t.test('secrets and credentials are never echoed in errors', async (t) => {
  try {
    loadConfig({ COOKIE_SECRET: 'tiny-secret' })
    t.fail('should throw')
  } catch (err) {
    t.notMatch((err as Error).message, 'tiny-secret')
  }
  try {
    loadConfig({ MYSQL_URL: 'postgres://admin:hunter2@db' })
    t.fail('should throw')
  } catch (err) {
    t.notMatch((err as Error).message, 'hunter2')
  }
})

t.test('.env.example and docs/configuration.md name every variable, and .env.example as it is loads as the defaults', async (t) => {
  const { parseEnv } = await import('node:util') as unknown as { parseEnv: (text: string) => Record<string, string> }
  const text = readFileSync(new URL('../.env.example', import.meta.url), 'utf8')
  const example = parseEnv(text)
  const reference = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8')
  for (const key of Object.keys(ConfigSchema.properties)) {
    t.ok(key in example || text.includes(`\n# ${key}=`), `.env.example has ${key} (NODE_ENV in a comment)`)
    t.ok(reference.includes(`| \`${key}\` |`), `docs/configuration.md has ${key}`)
  }
  for (const key of Object.keys(example)) t.ok(key in ConfigSchema.properties, `${key} in .env.example is a variable`)
  t.strictSame(loadConfig(example), loadConfig({}), 'copied to .env unchanged, it configures what no .env does')
})
