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

/**
 * eth_getLogs refused a range as too large (too many results, or too many blocks): the caller narrows
 * it, using the provider's suggestion when it gave one. Not retried elsewhere: the same range would fail.
 */
export class LogRangeError extends Data.TaggedError("LogRangeError")<{
  readonly message: string
  readonly fromBlock: number
  readonly toBlock: number
  /** The end of the range the provider suggested (-32005 "Try with this block range [from, to]"). */
  readonly suggestedToBlock?: number
  /** The widest range the provider takes ("max: 3500", "exceeds limit of 10000"). */
  readonly maxRange?: number
}> {}
