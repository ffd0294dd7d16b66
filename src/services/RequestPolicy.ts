import { Context, Duration, Effect } from "effect"

/** How each request to a remote source behaves: --request-timeout, --delay-ms, and the retry budget. */
export interface RequestPolicyShape {
  readonly timeout: Duration.Duration
  /** Attempts per request, the first included. */
  readonly maxAttempts: number
  /** Backoff base: attempt n waits a random time in [0, min(maxBackoff, base * 2^n)] (full jitter). */
  readonly baseBackoff: Duration.Duration
  readonly maxBackoff: Duration.Duration
  /** Pause before every request (the runbooks' DELAY_MS). */
  readonly delay: Duration.Duration
}

export const DEFAULT_REQUEST_POLICY: RequestPolicyShape = {
  timeout: Duration.seconds(30),
  maxAttempts: 8,
  baseBackoff: Duration.millis(250),
  maxBackoff: Duration.seconds(30),
  delay: Duration.zero
}

export class RequestPolicy extends Context.Reference<RequestPolicy>()("polybackfill/RequestPolicy", {
  defaultValue: () => DEFAULT_REQUEST_POLICY
}) {}

/** A request once, without the policy's retries: a start-up probe wants the first answer, not the eighth. */
export const withoutRetries = <A, E, R>(request: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(RequestPolicy, (policy) => Effect.provideService(request, RequestPolicy, { ...policy, maxAttempts: 1 }))
