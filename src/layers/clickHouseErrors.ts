import { ClickHouseError } from "../domain/errors.js"
import { scrubSecrets } from "../domain/redact.js"

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

/** Maps anything @clickhouse/client throws to one line that says what to check. */
export const toClickHouseError = (ctx: ErrorContext, cause: unknown): ClickHouseError => {
  const code = errorCode(cause)
  const text = rawMessage(cause)
  if ((code !== undefined && NETWORK_CODES.has(code)) || /socket hang up/i.test(text)) {
    return unreachable(ctx, code ?? "connection closed")
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
