import { existsSync } from 'node:fs'
import { Value } from '@sinclair/typebox/value'
import { ConfigSchema, type Config } from './schemas/config.js'
import { ALLOWED_HOST_PATTERN, defaultAllowedHosts } from './plugins/app/edge/host-names.js'

export type { Config }

export class ConfigError extends Error {
  constructor (message: string) {
    super(`sqlgate config: ${message}`)
    this.name = 'ConfigError'
  }
}

const KEYS = Object.keys(ConfigSchema.properties) as Array<keyof typeof ConfigSchema.properties>

/**
 * Reads, converts, defaults and checks the configuration. Throws a ConfigError naming the
 * first bad variable. `env` is a plain object so tests pass their own, never mutating process.env.
 */
export function loadConfig (env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, string> = {}
  for (const key of KEYS) {
    const value = env[key]
    if (value !== undefined && value !== '') raw[key] = value
  }

  const value = Value.Default(ConfigSchema, Value.Convert(ConfigSchema, { ...raw }))
  const firstError = Value.Errors(ConfigSchema, value).First()
  if (firstError !== undefined) {
    const name = firstError.path.replace(/^\//, '') || 'environment'
    const shown = name in raw ? ` (got ${JSON.stringify(redact(name, raw[name]!))})` : ''
    const allowed = firstError.schema.anyOf?.map((option: { const?: unknown }) => option.const)
    const message = allowed === undefined ? firstError.message : `must be one of ${allowed.join(', ')}`
    throw new ConfigError(`${name} ${message}${shown}`)
  }

  const config = Value.Decode(ConfigSchema, value)
  if (config.NODE_ENV === 'production' && config.COOKIE_SECRET === undefined) {
    throw new ConfigError('COOKIE_SECRET is required (at least 32 characters) when NODE_ENV=production')
  }
  config.COOKIE_SECURE ??= config.NODE_ENV === 'production'
  if (config.SESSION_TTL_SECONDS > config.SESSION_MAX_AGE_SECONDS) {
    throw new ConfigError(`SESSION_TTL_SECONDS (${config.SESSION_TTL_SECONDS}) must not exceed SESSION_MAX_AGE_SECONDS (${config.SESSION_MAX_AGE_SECONDS})`)
  }
  for (const [name, list] of [['REDIS_CLUSTER_NODES', config.REDIS_CLUSTER_NODES], ['REDIS_SENTINELS', config.REDIS_SENTINELS]] as const) {
    for (const node of list) {
      if (!/^[^\s:]+:\d{1,5}$/.test(node)) throw new ConfigError(`${name}: ${JSON.stringify(node)} is not host:port`)
    }
  }
  if (config.REDIS_CLUSTER_NODES.length > 0 && config.REDIS_SENTINELS.length > 0) {
    throw new ConfigError('REDIS_CLUSTER_NODES and REDIS_SENTINELS are exclusive: set one')
  }
  for (const secret of config.COOKIE_SECRETS_ACCEPTED) {
    if (secret.length < 32) throw new ConfigError('COOKIE_SECRETS_ACCEPTED: every secret must be at least 32 characters')
  }
  if (config.COOKIE_SECRETS_ACCEPTED.length > 0 && config.COOKIE_SECRET === undefined) {
    throw new ConfigError('COOKIE_SECRETS_ACCEPTED needs COOKIE_SECRET, which signs the cookies')
  }
  for (const key of config.API_KEYS) {
    if (key.length < 16) throw new ConfigError('API_KEYS: every key must be at least 16 characters')
  }
  for (const host of config.ALLOWED_HOSTS) {
    if (!ALLOWED_HOST_PATTERN.test(host)) {
      throw new ConfigError(`ALLOWED_HOSTS: ${JSON.stringify(host)} is not a host name like api.example.com or .example.com (no port, no scheme), nor *`)
    }
  }
  if (config.ALLOWED_HOSTS.length === 0) config.ALLOWED_HOSTS = defaultAllowedHosts(config.HOST)
  for (const origin of config.CORS_ORIGINS) {
    if (origin === '*' || !/^https?:\/\/[^/]+$/.test(origin)) {
      throw new ConfigError(`CORS_ORIGINS: ${JSON.stringify(origin)} is not an origin like https://app.example.com (no wildcard: requests carry credentials)`)
    }
  }
  if (config.QUERY_MAX_ROWS > config.QUERY_MAX_ROWS_LIMIT) {
    throw new ConfigError(`QUERY_MAX_ROWS (${config.QUERY_MAX_ROWS}) must not exceed QUERY_MAX_ROWS_LIMIT (${config.QUERY_MAX_ROWS_LIMIT})`)
  }
  if (config.QUERY_TIMEOUT_MS > config.QUERY_TIMEOUT_MAX_MS) {
    throw new ConfigError(`QUERY_TIMEOUT_MS (${config.QUERY_TIMEOUT_MS}) must not exceed QUERY_TIMEOUT_MAX_MS (${config.QUERY_TIMEOUT_MAX_MS})`)
  }
  parseMysqlUrl(config.MYSQL_URL) // fail now, not on the first query
  if (config.MYSQL_SSL_CA !== undefined && !existsSync(config.MYSQL_SSL_CA)) {
    throw new ConfigError(`MYSQL_SSL_CA: no file at ${config.MYSQL_SSL_CA}`)
  }
  return config
}

/** Secrets are never echoed; URLs are echoed without their credentials. */
function redact (name: string, value: string): string {
  return /SECRET|PASSWORD|API_KEYS/.test(name) ? '<redacted>' : withoutCredentials(value)
}

/** A URL as it may be shown in logs and errors: `user:password@` replaced. */
export function withoutCredentials (url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//<credentials>@')
}

export interface MysqlTarget {
  host: string
  port: number
  user: string
  password: string
  /** `?ssl=true` (or 1) in the URL */
  ssl: boolean
}

export function parseMysqlUrl (url: string): MysqlTarget {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ConfigError('MYSQL_URL is not a valid URL (expected mysql://user:password@host:port)')
  }
  if (parsed.hostname === '') throw new ConfigError('MYSQL_URL names no host')
  const port = parsed.port === '' ? 3306 : Number(parsed.port)
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port,
    user: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password),
    ssl: ['true', '1'].includes(parsed.searchParams.get('ssl') ?? '')
  }
}
