import { Data } from "effect"

/** Invalid user input (flag, env var, file). `message` is one line that names the fix. Exit code 2. */
export class UsageError extends Data.TaggedError("UsageError")<{
  readonly message: string
}> {}

/** A value refused before it could reach SQL text. */
/** Input a command read and partly refused (every good line was used): exit 1, not a usage error. */
export class SkippedInput extends Data.TaggedError("SkippedInput")<{
  readonly message: string
}> {}

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
  /** No answer at all: DNS, refused or reset connection, TLS (not a timeout, not an HTTP status). */
  readonly noAnswer?: boolean
}> {}

export const isRetryable = (e: SourceError): boolean =>
  e.reason === "RateLimited" || e.reason === "Transient" || e.reason === "Timeout"

/**
 * A source the run cannot do without is not there: its start-up probe found no server (DNS, refused,
 * TLS, 404 at the base URL), or units failed to reach it one after another. The run stops; exit code 1.
 */
export class SourceUnavailable extends Data.TaggedError("SourceUnavailable")<{
  readonly message: string
}> {}

/** The run ended with units in error: it said how many; exit code 1, with one line on how to retry them. */
export class RunIncomplete extends Data.TaggedError("RunIncomplete")<{
  readonly message: string
}> {}

/**
 * An RPC provider refused an eth_getLogs range: too many results, or a block span past its cap. Not a
 * fault of the URL (another URL of the pool would likely say the same), so it is returned to the caller,
 * which splits the range: `suggestedToBlock` is the end of the range the provider proposed, `maxRange`
 * the largest span (toBlock - fromBlock + 1) it said it accepts.
 */
export class LogRangeError extends Data.TaggedError("LogRangeError")<{
  readonly message: string
  readonly fromBlock: number
  readonly toBlock: number
  readonly suggestedToBlock?: number
  readonly maxRange?: number
}> {}
