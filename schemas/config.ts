import { Type, type StaticDecode } from '@sinclair/typebox'

/**
 * Every variable carries its documentation: `description` (Markdown) and, where the default is
 * not a plain value, `defaultText`. docs/configuration.md is generated from them
 * (`npm run docs:generate`).
 */
interface Doc { description: string, defaultText?: string }

/** A comma-separated list in the environment, a trimmed array in the service. */
const CommaList = (doc: Doc) => Type.Transform(Type.String({ default: '', defaultText: 'empty', ...doc }))
  .Decode((value) => value.split(',').map((item) => item.trim()).filter((item) => item.length > 0))
  .Encode((list) => list.join(','))

const Flag = (defaultValue: boolean | undefined, doc: Doc) =>
  Type.Boolean({ ...doc, ...(defaultValue === undefined ? {} : { default: defaultValue }) })

const Count = (minimum: number, maximum: number, defaultValue: number, doc: Doc) =>
  Type.Integer({ minimum, maximum, default: defaultValue, ...doc })

const Seconds = (defaultValue: number, doc: Doc) => Count(1, 365 * 24 * 3600, defaultValue, doc)

/**
 * The service's whole configuration, read from the environment at start-up.
 * Keys are the environment variable names, so every error names the variable to fix.
 */
export const ConfigSchema = Type.Object({
  PORT: Count(0, 65535, 3000, { description: 'the TCP port to listen on' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'the address to listen on; the Dockerfile sets `0.0.0.0`' }),
  ALLOWED_HOSTS: CommaList({
    defaultText: '`localhost` when `HOST` is a loopback address, else any (`*`)',
    description: 'comma-separated host names the service answers for (`api.example.com`, `.example.com` for a domain and its subdomains, `*` for any); a request for another name is `403 host_not_allowed`, an IP address is always answered. Set it wherever a browser can reach the service by name: it stops DNS rebinding (see [security](security.md))'
  }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`' }),
  NODE_ENV: Type.String({ default: 'development', description: '`production` requires `COOKIE_SECRET` and makes cookies `Secure`' }),

  REDIS_URL: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379', description: '`redis://[user:password@]host:port[/db]`, or `rediss://` for TLS' }),
  REDIS_CLUSTER_NODES: CommaList({ description: 'comma-separated `host:port` of Redis Cluster nodes: sessions go to the cluster (credentials and TLS from `REDIS_URL`)' }),
  REDIS_SENTINELS: CommaList({ description: 'comma-separated `host:port` of Redis Sentinels: sessions go to the primary they name (exclusive with `REDIS_CLUSTER_NODES`)' }),
  REDIS_SENTINEL_NAME: Type.String({ minLength: 1, default: 'mymaster', description: 'the primary\'s name at the Sentinels' }),
  REDIS_KEY_PREFIX: Type.String({ minLength: 1, maxLength: 64, pattern: '^[^{}\\s]+$', default: 'sqlgate:', description: 'every key the service writes starts with it (no `{`, `}` or spaces)' }),

  MYSQL_URL: Type.String({ pattern: '^mysql://', default: 'mysql://root@127.0.0.1:3306', description: '`mysql://user:password@host:port`; percent-encode special characters' }),
  MYSQL_SSL: Flag(false, { description: 'TLS to the database (also `?ssl=true` in `MYSQL_URL`): TLS 1.2 or newer, never a fall-back to plaintext; TiDB Cloud requires it' }),
  MYSQL_SSL_CA: Type.Optional(Type.String({ minLength: 1, defaultText: 'the system CAs', description: 'path of a PEM file of CA certificates' })),
  MYSQL_SSL_VERIFY: Flag(true, { description: 'verify the server\'s certificate and name (`false` only for a test server with a self-signed certificate)' }),
  MYSQL_CONNECTION_MAX_AGE_SECONDS: Count(1, 86_400, 1500, { description: 'pooled connections are replaced past this age, before TiDB Cloud\'s idle cut at about 30 minutes' }),
  MYSQL_POOL_SIZE: Count(1, 1000, 10, { description: 'connections in the pool, shared by all sessions; at most 50× as many queries wait for one' }),

  COOKIE_SECRET: Type.Optional(Type.String({ minLength: 32, defaultText: 'none', description: 'signs the `sid` cookie; at least 32 characters. Required when `NODE_ENV=production`; in development one is generated and kept in `.cookie-secret.local` (git-ignored) where the service runs, so a restart keeps browser sessions (not shared with other instances)' })),
  COOKIE_SECRETS_ACCEPTED: CommaList({ description: 'comma-separated secrets (32+ characters each) whose signatures are accepted too, for rotating `COOKIE_SECRET` without losing browser sessions; a cookie signed with one is signed anew with `COOKIE_SECRET` by its next answer (see [deployment](deployment.md))' }),
  COOKIE_SECURE: Type.Optional(Flag(undefined, { defaultText: '`true` when `NODE_ENV=production`, else `false`', description: 'the `Secure` attribute of the `sid` cookie' })),
  COOKIE_PATH: Type.String({ default: '/', minLength: 1, maxLength: 256, pattern: '^/[\\x21-\\x3A\\x3C-\\x7E]*$', description: 'the `Path` attribute of the `sid` cookie. Behind a proxy that serves sqlgate under a path, that path (`/sqlgate/`): the browser then sends the cookie there only, and keeps it apart from another application\'s `sid` cookie on the same host, which a cookie at `/` would replace' }),
  SESSION_TTL_SECONDS: Seconds(86400, { description: 'idle lifetime of a session\'s data in Redis, refreshed when the session is used (at most once per 1 % of it)' }),
  SESSION_MAX_AGE_SECONDS: Seconds(7 * 86400, { defaultText: '`604800` (7 days)', description: 'absolute lifetime of a session: its data is gone then, however much it is used; also the `sid` cookie\'s `Max-Age`' }),
  SESSION_STRICT: Flag(false, { description: '`true`: accept only session ids this service issued (see [sessions](sessions.md))' }),
  SESSION_MAX_CONCURRENT_QUERIES: Count(1, 1000, 4, { description: 'queries of one session in flight at once, across instances; the next answers `429 too_many_concurrent_queries`. On one instance a session also holds at most a quarter of the pool\'s non-reserved connections (see [security](security.md))' }),

  API_KEYS: CommaList({ defaultText: 'empty: no key needed', description: 'comma-separated keys (16+ characters each); when set, every `/api` route needs `Authorization: Bearer <key>`' }),
  CORS_ORIGINS: CommaList({ defaultText: 'empty: no CORS', description: 'comma-separated origins (`https://app.example.com`) allowed to call the API from a browser, with credentials; no wildcard' }),
  RATE_LIMIT_MAX: Count(1, 1_000_000_000, 300, { description: 'requests per window, per session on `/api` routes, per client address elsewhere; also the sessions one client address may start or read by URL per window (an IPv6 address counts for its /56, as a client commonly holds a whole prefix); counted in Redis, shared by all instances' }),
  RATE_LIMIT_WINDOW_MS: Count(1000, 86_400_000, 60_000, { description: 'the rate limit\'s window' }),
  RATE_LIMIT_ADDRESS_MAX: Count(1, 1_000_000_000, 3000, { description: 'requests per window to `/api` and `/mcp` from one client address, whatever sessions they name; a request counts once more for each full 8 KiB of its body, so long statements count for what reading them costs (see [security](security.md))' }),
  TRUST_PROXY: Type.String({ default: 'false', description: 'behind a reverse proxy: a hop count or the proxies\' addresses/CIDRs, so the client address comes from `X-Forwarded-For`; `true` trusts every hop, so a client could name any address (and rate-limit budget) in an `X-Forwarded-For` of its own' }),
  REQUEST_TIMEOUT_MS: Count(1000, 600_000, 30_000, { description: 'how long a request, headers and body, may take to arrive (1 s to 10 min); past it the answer is `408 request_timeout` and the connection closes, so a client that trickles its body cannot hold connections open (the query\'s own time does not count); also how long an answer may wait for its client to read any more of it before it is dropped and the connection closed, so answers nobody reads are not held in memory' }),
  CONNECTIONS_MAX: Count(1, 1_000_000, 10_000, { description: 'connections the server holds open at once, from all clients together (about 10 kB and a file descriptor each, idle or not); one past it is closed as it arrives. Keep it below the process\'s open-file limit, less `MYSQL_POOL_SIZE`, `EXPORT_CONCURRENCY` and a few for Redis' }),
  CONNECTIONS_PER_ADDRESS_MAX: Count(1, 1_000_000, 1000, { description: 'connections one client address (an IPv6 address for its /56) holds open at once; one past it is closed as it arrives, before anything of it is read, so that one client cannot hold the others\' connections idle. Not counted when `TRUST_PROXY` is set: the peer is then the proxy, which is where connections per client are bounded. A browser holds about 6; leave room for the clients behind one NAT' }),
  SHUTDOWN_GRACE_MS: Count(0, 600_000, 10_000, { description: 'after SIGTERM/SIGINT, how long in-flight requests may finish before the process exits anyway (exit 1)' }),

  DATABASE_ALLOWLIST: CommaList({ defaultText: 'empty: every non-system database', description: 'comma-separated database names a session may list and select (what a statement can reach by a qualified name is the database user\'s grants: see [read-only](read-only.md))' }),
  CATALOG_MAX_TABLES: Count(1, 100_000, 1000, { description: 'the most tables the answers of `select` and `schema` list, the first by name (1 to 100,000); `total_tables` counts them all. When a database has more, `rows_estimate` is `null`: reading the estimates makes MariaDB and MySQL open every table of the database (9 s for 20,000 tables). Query `information_schema` or `SHOW TABLES LIKE` for the rest' }),

  READ_ONLY: Flag(true, { description: 'only reads run (see [read-only](read-only.md)); `false` allows writes, one statement per request, autocommit' }),
  QUERY_MAX_ROWS: Count(1, 1_000_000, 1000, { description: 'rows a query returns when the request gives no `max_rows`' }),
  QUERY_MAX_ROWS_LIMIT: Count(1, 1_000_000, 10_000, { description: 'the largest `max_rows` a request may ask for' }),
  QUERY_MAX_RESULT_BYTES: Count(1024, 134_217_728, 8_388_608, { defaultText: '`8388608` (8 MiB)', description: 'how many bytes of JSON the rows of one answer may have on the wire (1 KiB to 128 MiB); past it the answer stops early with `truncated: true`, whatever `max_rows` allows, and a first row past it has its long values cut (`truncated_values`; see [queries](queries.md)); an MCP `run_query` answer, which carries its rows twice, gives them a third of it' }),
  QUERY_TIMEOUT_MS: Count(1, 3_600_000, 10_000, { description: 'statement timeout when the request gives no `timeout_ms`; also bounds the gateway\'s own catalog reads (database list, tables, schema), which the server stops past it (`504 catalog_timeout`)' }),
  QUERY_TIMEOUT_MAX_MS: Count(1, 3_600_000, 60_000, { description: 'the largest `timeout_ms` a request may ask for' }),
  UNREAD_ANSWERS_MAX_BYTES: Count(1_048_576, 17_179_869_184, 33_554_432, { defaultText: '`33554432` (32 MiB)', description: 'about how much of their answers all clients together may leave unread, held in the process\'s memory (1 MiB to 16 GiB); past it, the connections whose answers have stood still longest are closed, down to the one that moved last (see [security](security.md))' }),
  EXPORT_MAX_ROWS: Count(1, 1_000_000_000, 1_000_000, { defaultText: '`1000000`', description: 'the most rows one `POST /api/query/export` streams, and its `max_rows` when the request gives none (see [exports](exports.md))' }),
  EXPORT_TIMEOUT_MAX_MS: Count(1000, 86_400_000, 600_000, { defaultText: '`600000` (10 minutes)', description: 'the longest an export\'s statement may run, enforced on the server, and its `timeout_ms` when the request gives none' }),
  EXPORT_CONCURRENCY: Count(1, 64, 4, { description: 'exports one instance streams at once, on database connections of their own (outside `MYSQL_POOL_SIZE`), one per session at a time and half of them (rounded up) per client address; the next answers `503 exports_busy`' }),
  HISTORY_LIMIT: Count(0, 1000, 50, { description: 'queries kept in each session\'s history (`0` keeps none)' })
})

export type Config = StaticDecode<typeof ConfigSchema>
