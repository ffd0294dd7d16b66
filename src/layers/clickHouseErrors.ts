import { ClickHouseError } from "../domain/errors.js"
import { scrubSecrets } from "../domain/redact.js"
import { suggestUrl } from "../domain/settings.js"

/** What an error message may mention about the connection (never the password itself). */
export interface ErrorContext {
  readonly displayUrl: string
  readonly username: string
  readonly database: string
  readonly secrets: ReadonlyArray<string>
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ETIMEDOUT",
  "EPIPE",
  "ECONNABORTED",
  "UND_ERR_SOCKET"
])

// 192 UNKNOWN_USER, 193 WRONG_PASSWORD, 194 REQUIRED_PASSWORD, 195 IP_ADDRESS_NOT_ALLOWED,
// 516 AUTHENTICATION_FAILED (what current releases say for both user and password).
const AUTH_CODES = new Set([192, 193, 194, 195, 516])
const UNKNOWN_DATABASE = 81
const UNKNOWN_TABLE = 60

const errorCode = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined

const rawMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** "Code: 62, e.displayText() = DB::Exception: Syntax error…, e.what() = DB::Exception" → "Code: 62: Syntax error…". */
export const serverMessage = (text: string): string => {
  const first = text.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "unknown error"
  const cleaned = first
    .replace(/, e\.displayText\(\) = DB::Exception:/, ":")
    .replace(/\. DB::Exception:/, ":")
    .replace(/, e\.what\(\) = DB::Exception$/, "")
    .replace(/\s*\(version [^)]*\)\s*$/, "")
  return cleaned.length > 500 ? cleaned.slice(0, 500) + "…" : cleaned
}

const serverCode = (text: string): number | undefined => {
  const m = /Code: (\d+)/.exec(text)
  return m === null ? undefined : Number(m[1])
}

const TARGET_HINT = "check --clickhouse-url / CLICKHOUSE_URL"

export const unreachable = (ctx: ErrorContext, detail: string): ClickHouseError =>
  new ClickHouseError({
    reason: "Unreachable",
    message: scrubSecrets(`cannot reach ClickHouse at ${ctx.displayUrl} (${detail}): is the server running? ${TARGET_HINT}`, ctx.secrets)
  })

const HTTP_INTERFACE = "ClickHouse's HTTP interface (http://host:8123, or https://host:8443 with TLS)"

/** A URL that answers, but not as ClickHouse's HTTP interface: one line saying what to use instead. */
const misdirected = (ctx: ErrorContext, problem: string, instead?: string): ClickHouseError =>
  new ClickHouseError({
    reason: "Unreachable",
    message: `${ctx.displayUrl} ${problem}: ${instead === undefined ? `point --clickhouse-url / CLICKHOUSE_URL at ${HTTP_INTERFACE}` : `use ${instead} in --clickhouse-url / CLICKHOUSE_URL`}`
  })

/** Maps anything @clickhouse/client throws to one line that says what to check. */
export const toClickHouseError = (ctx: ErrorContext, cause: unknown): ClickHouseError => {
  const code = errorCode(cause)
  const text = rawMessage(cause)
  if ((code !== undefined && NETWORK_CODES.has(code)) || /socket hang up/i.test(text)) {
    return unreachable(ctx, code ?? "connection closed")
  }
  // A TLS client hello answered in plain HTTP: OpenSSL's "wrong version number".
  if (/wrong version number/i.test(text)) {
    return misdirected(ctx, "does not speak TLS (its port answers plain HTTP)", suggestUrl(ctx.displayUrl, { protocol: "http:" }))
  }
  // Node's HTTP parser (llhttp) refusing the answer: bytes that are not HTTP, e.g. the native protocol.
  if (code?.startsWith("HPE_") === true || /^Parse Error/i.test(text)) {
    return misdirected(ctx, `does not answer in HTTP (${code ?? "parse error"}), as ClickHouse's native port (9000) or a TLS port would not`)
  }
  if (/^Timeout error/i.test(text)) {
    return new ClickHouseError({
      reason: "Timeout",
      message: `ClickHouse at ${ctx.displayUrl} did not answer in time: is it overloaded or behind a firewall? ${TARGET_HINT}`
    })
  }
  // Over HTTP the code is in the text; the embedded engine's errors carry it as `code` ("81").
  const server = serverCode(text) ?? (code !== undefined && /^\d+$/.test(code) ? Number(code) : undefined)
  if ((server !== undefined && AUTH_CODES.has(server)) || /Authentication failed/i.test(text)) {
    return new ClickHouseError({
      reason: "Auth",
      message: `ClickHouse at ${ctx.displayUrl} refused user "${ctx.username}": wrong user or password (check CLICKHOUSE_USER / CLICKHOUSE_PASSWORD, or the user:password in --clickhouse-url / CLICKHOUSE_URL)`
    })
  }
  const line = scrubSecrets(serverMessage(text), ctx.secrets)
  if (server === UNKNOWN_DATABASE) {
    return new ClickHouseError({
      reason: "Query",
      message: `database "${ctx.database}" does not exist on ${ctx.displayUrl}: run "polybackfill migrate" to create it (or check --database / CLICKHOUSE_DATABASE)`
    })
  }
  if (server === UNKNOWN_TABLE) {
    return new ClickHouseError({ reason: "Query", message: `${line} (run "polybackfill migrate" to create the tables)` })
  }
  return new ClickHouseError({ reason: "Query", message: `ClickHouse: ${line}` })
}

/** What a server answered to the first query, read whatever its status. */
export interface FirstAnswer {
  readonly status: number | undefined
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly body: string
}

const header = (answer: FirstAnswer, name: string): string | undefined => {
  const value = answer.headers[name]
  return typeof value === "string" ? value : value?.[0]
}

/**
 * The first answer before anything is trusted: ClickHouse sends X-ClickHouse-* headers (18.16 only
 * X-ClickHouse-Server-Display-Name), and answers "1" to SELECT 1 even behind a proxy that drops them.
 * Undefined when it is ClickHouse and the query ran.
 */
export const checkFirstAnswer = (ctx: ErrorContext, answer: FirstAnswer): ClickHouseError | undefined => {
  const ok = answer.status !== undefined && answer.status >= 200 && answer.status < 300
  const fromClickHouse =
    Object.keys(answer.headers).some((k) => k.toLowerCase().startsWith("x-clickhouse-")) || /DB::Exception/.test(answer.body)
  if (fromClickHouse || (ok && answer.body.trim() === "1")) return ok ? undefined : toClickHouseError(ctx, new Error(answer.body))
  // ClickHouse's native port answers an HTTP request with "Port 9000 is for clickhouse-client program. You must use port 8123 for HTTP."
  const httpPort = /You must use port (\d+) for HTTP/.exec(answer.body)
  if (httpPort !== null) {
    return misdirected(ctx, `is ClickHouse's native port (it names port ${httpPort[1]} for HTTP)`, suggestUrl(ctx.displayUrl, { port: httpPort[1]! }))
  }
  const type = header(answer, "content-type")?.split(";")[0]
  return misdirected(ctx, `is not ClickHouse (it answered HTTP ${answer.status ?? "?"}${type === undefined ? "" : ` ${type}`} with no X-ClickHouse-* header)`)
}
