import { Data } from "effect"

/** Invalid user input (flag, env var, file). `message` is one line that names the fix. */
export class UsageError extends Data.TaggedError("UsageError")<{
  readonly message: string
}> {}

/** A value refused before it could reach SQL text. */
export class UnsafeSqlValue extends Data.TaggedError("UnsafeSqlValue")<{
  readonly kind: string
  readonly message: string
}> {}

export type ClickHouseFailure = "Unreachable" | "Auth" | "Query" | "Decode" | "Timeout"

/** Any failure talking to ClickHouse; `message` is one line, never contains a password. */
export class ClickHouseError extends Data.TaggedError("ClickHouseError")<{
  readonly reason: ClickHouseFailure
  readonly message: string
}> {}

/** The managed local ClickHouse could not be found, started or stopped. */
export class LocalClickHouseError extends Data.TaggedError("LocalClickHouseError")<{
  readonly message: string
}> {}

export type SourceFailure = "RateLimited" | "Transient" | "Timeout" | "Fatal" | "Decode"

/**
 * A request to a remote source failed. RateLimited (429, or 503 with Retry-After), Transient (5xx,
 * 408, transport), Timeout (no answer within --request-timeout) are retried; Fatal (other 4xx) and
 * Decode (a page that does not match the schema) are not.
 */
export class SourceError extends Data.TaggedError("SourceError")<{
  readonly reason: SourceFailure
  readonly host: string
  readonly message: string
  readonly status?: number
  /** What the server asked for (Retry-After, RateLimit-Reset), in milliseconds. */
  readonly retryAfterMs?: number
}> {}

export const isRetryable = (e: SourceError): boolean =>
  e.reason === "RateLimited" || e.reason === "Transient" || e.reason === "Timeout"
