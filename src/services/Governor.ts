import type { Effect } from "effect"
import { Context } from "effect"
import type { RateLimitHint } from "../domain/rateLimitHeaders.js"

/** Rate-limit headers a successful or failed response carried (parsed by domain/rateLimitHeaders.ts). */
export type { RateLimitHint }

export interface HostSnapshot {
  readonly host: string
  readonly limit: number
  readonly inFlight: number
  readonly requests: number
  readonly rateLimited: number
  readonly pausedUntilMs: number
}

/**
 * One governor per remote host: a concurrency limit that adapts (AIMD) to 429s, timeouts and latency,
 * and honours Retry-After. `--workers N` pins the limit.
 */
export interface GovernorApi {
  /**
   * Runs one request under `host`'s limit. The request's outcome teaches the governor: success with
   * its latency, or a SourceError whose reason (RateLimited / Transient / Timeout) and retryAfterMs
   * shrink the limit or pause the host. `hint` extracts rate-limit headers from a success.
   */
  readonly withPermit: <A, E, R>(
    host: string,
    request: Effect.Effect<A, E, R>,
    hint?: (a: A) => RateLimitHint | undefined
  ) => Effect.Effect<A, E, R>
  readonly snapshot: Effect.Effect<ReadonlyArray<HostSnapshot>>
}

export class Governor extends Context.Tag("polybackfill/Governor")<Governor, GovernorApi>() {}
