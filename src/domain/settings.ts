import { Option, Redacted } from "effect"
import { UsageError } from "./errors.js"
import { redactUrl } from "./redact.js"

export const DEFAULT_DATABASE = "polymarket"

export const DEFAULT_SOURCES = {
  gamma: "https://gamma-api.polymarket.com",
  dataApi: "https://data-api.polymarket.com",
  goldsky:
    "https://api.goldsky.com/api/public/project_cl6mb8i9h0003e201j6li0diw/subgraphs/orderbook-subgraph/0.0.1/gn",
  rpc: ["https://polygon-rpc.com"]
} as const

/** What the environment says about ClickHouse (the runbooks' variable names). */
export interface ClickHouseEnv {
  readonly url: Option.Option<string>
  readonly host: Option.Option<string>
  readonly port: Option.Option<number>
  readonly user: Option.Option<string>
  readonly password: Option.Option<Redacted.Redacted<string>>
  readonly database: Option.Option<string>
}

/** What the flags say; flags win over the environment. */
export interface ClickHouseFlags {
  readonly url: Option.Option<string>
  readonly database: Option.Option<string>
}

/**
 * A ClickHouse to talk to: a configured server, the embedded engine (`embedded` as the URL), or none
 * configured ("Managed": the local server polybackfill manages when a server binary is installed,
 * else the embedded engine).
 */
export type ClickHouseTarget =
  | { readonly _tag: "Remote"; readonly url: string; readonly username: string; readonly password: Redacted.Redacted<string>; readonly database: string }
  | { readonly _tag: "Managed"; readonly database: string }
  | { readonly _tag: "Embedded"; readonly database: string }

/** The URL value that selects the in-process engine (`--clickhouse-url embedded`, `CLICKHOUSE_URL=embedded`). */
export const EMBEDDED_URL = "embedded"

/** Whether a ClickHouse URL (flag or CLICKHOUSE_URL) asks for the embedded engine. */
export const isEmbeddedUrl = (url: string): boolean => url.trim().toLowerCase() === EMBEDDED_URL

const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/

/** ClickHouse's default HTTP ports; CLICKHOUSE_HOST without a port means these (not 80/443). */
const HTTP_PORT = 8123
const HTTPS_PORT = 8443
/** The native TCP protocol's ports (clickhouse-client's), which do not speak HTTP. */
const NATIVE_PORTS: Record<string, { readonly protocol: string; readonly port: number }> = {
  "9000": { protocol: "http:", port: HTTP_PORT },
  "9440": { protocol: "https:", port: HTTPS_PORT }
}

const hostUrl = (host: string, port: Option.Option<number>): string => {
  const base = (/^https?:\/\//i.test(host) ? host : `http://${host}`).replace(/\/+$/, "")
  if (Option.isSome(port)) return `${base.replace(/:\d+$/, "")}:${port.value}`
  return /:\d+$/.test(base) ? base : `${base}:${/^https:/i.test(base) ? HTTPS_PORT : HTTP_PORT}`
}

/** A URL to suggest instead: another scheme or port when given, no query, the password redacted. */
export const suggestUrl = (raw: string | URL, change: { readonly protocol?: string; readonly port?: string } = {}): string => {
  const url = new URL(raw)
  if (change.protocol !== undefined) url.protocol = change.protocol
  if (change.port !== undefined) url.port = change.port
  url.search = ""
  return redactUrl(url.toString()).replace(/\/$/, "")
}

/** What is wrong with a URL that parses but cannot be ClickHouse's HTTP interface, as one line. */
const notHttpInterface = (url: URL, where: string): string | undefined => {
  if (url.search !== "") {
    const keys = [...new Set(url.searchParams.keys())].join(", ")
    return `the ClickHouse URL in ${where} has a query string (${keys}), which polybackfill does not read: use ${suggestUrl(url)}, with the database in --database / CLICKHOUSE_DATABASE and the user in CLICKHOUSE_USER / CLICKHOUSE_PASSWORD (or as user:password@)`
  }
  const native = NATIVE_PORTS[url.port]
  if (native !== undefined) {
    return `port ${url.port} in ${where} is ClickHouse's native protocol (clickhouse-client's); polybackfill uses the HTTP interface: use ${suggestUrl(url, { protocol: native.protocol, port: String(native.port) })}`
  }
  if (url.protocol === "https:" && url.port === String(HTTP_PORT)) {
    return `https on port ${HTTP_PORT} in ${where}: ${HTTP_PORT} is ClickHouse's plain HTTP port: use ${suggestUrl(url, { protocol: "http:" })}, or ${suggestUrl(url, { protocol: "https:", port: String(HTTPS_PORT) })} for TLS`
  }
  return undefined
}

export const resolveClickHouse = (flags: ClickHouseFlags, env: ClickHouseEnv): ClickHouseTarget | UsageError => {
  const database = Option.firstSomeOf([flags.database, env.database]).pipe(Option.getOrElse(() => DEFAULT_DATABASE))
  if (!DATABASE_NAME.test(database)) {
    return new UsageError({ message: `invalid database name "${database}": use letters, digits and underscores (set --database or CLICKHOUSE_DATABASE)` })
  }
  const where = Option.isSome(flags.url) ? "--clickhouse-url" : Option.isSome(env.url) ? "CLICKHOUSE_URL" : "CLICKHOUSE_HOST / CLICKHOUSE_PORT"
  const explicitUrl = Option.firstSomeOf([flags.url, env.url])
  const rawUrl = Option.isSome(explicitUrl) ? explicitUrl : Option.map(env.host, (host) => hostUrl(host, env.port))
  if (Option.isNone(rawUrl)) return { _tag: "Managed", database }
  if (isEmbeddedUrl(rawUrl.value)) return { _tag: "Embedded", database }
  let url: URL
  try {
    url = new URL(rawUrl.value)
  } catch {
    return new UsageError({ message: `invalid ClickHouse URL ${redactUrl(rawUrl.value)}: expected http(s)://host:8123 (set --clickhouse-url or CLICKHOUSE_URL)` })
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return new UsageError({ message: `ClickHouse URL must use http or https (the HTTP interface, port 8123 by default), got ${url.protocol}` })
  }
  const wrong = notHttpInterface(url, where)
  if (wrong !== undefined) return new UsageError({ message: wrong })
  const username = url.username !== "" ? decodeURIComponent(url.username) : Option.getOrElse(env.user, () => "default")
  const password =
    url.password !== "" ? Redacted.make(decodeURIComponent(url.password)) : Option.getOrElse(env.password, () => Redacted.make(""))
  url.username = ""
  url.password = ""
  const pathDb = url.pathname.replace(/^\/+|\/+$/g, "")
  url.pathname = "/"
  const dbFromUrl = pathDb !== "" && Option.isNone(flags.database) && Option.isNone(env.database) ? pathDb : database
  if (!DATABASE_NAME.test(dbFromUrl)) {
    return new UsageError({ message: `invalid database name "${dbFromUrl}" in the ClickHouse URL path: use letters, digits and underscores` })
  }
  return { _tag: "Remote", url: url.toString().replace(/\/$/, ""), username, password, database: dbFromUrl }
}

/** Source base URLs, after flags and environment. */
export interface SourceUrls {
  readonly gamma: string
  readonly dataApi: string
  readonly goldsky: string
  readonly rpc: ReadonlyArray<string>
}

export const splitRpcUrls = (value: string): Array<string> =>
  value.split(",").map((s) => s.trim()).filter((s) => s.length > 0)
