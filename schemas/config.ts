import { Type, type StaticDecode } from '@sinclair/typebox'

/** A comma-separated list in the environment, a trimmed array in the service. */
const CommaList = Type.Transform(Type.String({ default: '' }))
  .Decode((value) => value.split(',').map((item) => item.trim()).filter((item) => item.length > 0))
  .Encode((list) => list.join(','))

const BooleanString = (description: string, defaultValue?: boolean) =>
  Type.Boolean({ description, ...(defaultValue === undefined ? {} : { default: defaultValue }) })

const Seconds = (defaultValue: number, description: string) =>
  Type.Integer({ minimum: 1, maximum: 365 * 24 * 3600, default: defaultValue, description })

/**
 * The service's whole configuration, read from the environment at start-up.
 * Keys are the environment variable names, so every error names the variable to fix.
 */
export const ConfigSchema = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  ALLOWED_HOSTS: CommaList,
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' }),

  REDIS_URL: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' }),
  REDIS_CLUSTER_NODES: CommaList,
  REDIS_SENTINELS: CommaList,
  REDIS_SENTINEL_NAME: Type.String({ minLength: 1, default: 'mymaster' }),
  REDIS_KEY_PREFIX: Type.String({ minLength: 1, maxLength: 64, pattern: '^[^{}\\s]+$', default: 'sqlgate:' }),

  MYSQL_URL: Type.String({ pattern: '^mysql://', default: 'mysql://root@127.0.0.1:3306' }),
  MYSQL_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
  MYSQL_SSL: BooleanString('TLS to the database (TiDB Cloud requires it); also ?ssl=true in MYSQL_URL', false),
  MYSQL_SSL_CA: Type.Optional(Type.String({ minLength: 1, description: 'path of a PEM file of CA certificates; default: the system CAs' })),
  MYSQL_SSL_VERIFY: BooleanString('verify the server certificate and host name', true),
  MYSQL_CONNECTION_MAX_AGE_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 1500, description: 'a pooled connection is replaced past this age (TiDB Cloud cuts connections after about 30 minutes)' }),

  COOKIE_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  COOKIE_SECRETS_ACCEPTED: CommaList,
  COOKIE_SECURE: Type.Optional(BooleanString('Secure attribute of the sid cookie')),
  COOKIE_PATH: Type.String({ default: '/', minLength: 1, maxLength: 256, pattern: '^/[\\x21-\\x3A\\x3C-\\x7E]*$', description: 'Path attribute of the sid cookie: the path a proxy serves sqlgate under (/sqlgate/), so the cookie is sent there only' }),
  SESSION_TTL_SECONDS: Seconds(86400, 'idle lifetime of a session, refreshed on use (at most once per 1 % of it)'),
  SESSION_MAX_AGE_SECONDS: Seconds(7 * 86400, 'absolute lifetime of a session, however much it is used'),
  SESSION_STRICT: BooleanString('accept only session ids this service issued', false),
  SESSION_MAX_CONCURRENT_QUERIES: Type.Integer({ minimum: 1, maximum: 1000, default: 4, description: 'queries of one session in flight at once' }),

  API_KEYS: CommaList,
  CORS_ORIGINS: CommaList,
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000_000, default: 300, description: 'requests per window, per session (or per client address)' }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1000, maximum: 86_400_000, default: 60_000 }),
  RATE_LIMIT_ADDRESS_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000_000, default: 3000, description: 'requests per window to /api and /mcp from one client address, whatever their sessions' }),
  TRUST_PROXY: Type.String({ default: 'false', description: 'false, true, a hop count, or comma-separated addresses/CIDRs of trusted proxies' }),
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 600_000, default: 30_000, description: 'how long a request (headers and body) may take to arrive, past which the answer is 408 and the connection closes; also how long an answer may wait for its client to read any more of it' }),
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, maximum: 600_000, default: 10_000, description: 'how long in-flight requests may finish after SIGTERM' }),

  DATABASE_ALLOWLIST: CommaList,
  CATALOG_MAX_TABLES: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000, description: 'the most tables a database select or schema answer lists (the first by name); total_tables counts them all' }),

  READ_ONLY: BooleanString('only reads run; everything else is refused before it reaches the database', true),
  QUERY_MAX_ROWS: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1000, description: 'rows a query returns when max_rows is not given' }),
  QUERY_MAX_ROWS_LIMIT: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000, description: 'the largest max_rows a request may ask for' }),
  QUERY_MAX_RESULT_BYTES: Type.Integer({ minimum: 1024, maximum: 134_217_728, default: 8_388_608, description: 'about how large the rows of one answer may be; past it the answer stops early, truncated' }),
  QUERY_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 10_000, description: 'statement timeout when timeout_ms is not given; also bounds the catalog reads' }),
  QUERY_TIMEOUT_MAX_MS: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 60_000, description: 'the largest timeout_ms a request may ask for' }),
  UNREAD_ANSWERS_MAX_BYTES: Type.Integer({ minimum: 1_048_576, maximum: 17_179_869_184, default: 33_554_432, description: 'about how much of their answers all clients together may leave unread; past it, the connections whose answers stood still longest are closed' }),
  HISTORY_LIMIT: Type.Integer({ minimum: 0, maximum: 1000, default: 50, description: 'queries kept in each session\'s history' })
})

export type Config = StaticDecode<typeof ConfigSchema>
