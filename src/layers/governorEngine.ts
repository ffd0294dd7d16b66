import { Cause, Clock, Effect, Exit, Option } from "effect"
import type { AimdConfig, AimdState, CongestionKind } from "../domain/aimd.js"
import { clampLimit, initialState, onCongestion, onSuccess, permitsOf } from "../domain/aimd.js"
import { SourceError } from "../domain/errors.js"
import { redactUrl } from "../domain/redact.js"
import type { GovernorApi, HostSnapshot, RateLimitHint } from "../services/Governor.js"
import { waiting } from "../services/Waiting.js"
import { PermitPool } from "./permitPool.js"

/** How a governor behaves: adaptive (AIMD between min and max) or pinned at `initial`. */
export interface GovernorEngineOptions {
  readonly initial: number
  readonly adaptive: boolean
  readonly aimd: AimdConfig
  /** Ceiling on request starts per second, per host. */
  readonly rps?: number
  /** The limit an earlier run reached safely for a host key ("host" or "host/endpoint"), if any. */
  readonly initialLimitOf?: (host: string) => number | undefined
  /**
   * Extra permits (a fraction of the limit) for as long as a Retry-After pause lasted, once it ends: the
   * server's window now holds room for the requests not sent meanwhile. 0 turns it off.
   */
  readonly catchUp?: number
}

export interface SafeLimit {
  readonly host: string
  readonly safeLimit: number
}

/** The port plus what persistence needs. */
export interface GovernorEngine extends GovernorApi {
  readonly safeLimits: Effect.Effect<ReadonlyArray<SafeLimit>>
  /** The AIMD state of each host (benchmarks and diagnostics). */
  readonly states: Effect.Effect<ReadonlyArray<{ readonly host: string; readonly aimd: AimdState }>>
}

/** A quota the server announced (RateLimit-Remaining + Reset), counted down locally as requests start. */
interface Quota {
  remaining: number
  readonly resetAtMs: number
}

interface HostState {
  readonly host: string
  readonly permits: PermitPool
  aimd: AimdState
  inFlight: number
  requests: number
  rateLimited: number
  pausedUntilMs: number
  /** When the current pause began, and the catch-up burst after the last one. */
  pauseStartMs: number
  burstUntilMs: number
  nextStartMs: number
  quota: Quota | undefined
}

const congestionOf = (error: unknown): CongestionKind | undefined => {
  if (!(error instanceof SourceError)) return undefined
  if (error.reason === "RateLimited") return "RateLimited"
  if (error.reason === "Timeout") return "Timeout"
  if (error.reason === "Transient" && (error.status === 503 || error.status === 504)) return "Overloaded"
  return undefined
}

/** Host keys are host names, but an RPC URL (with its key in the path) may be one: never print it raw. */
export const displayHost = (host: string): string => (host.includes("://") ? redactUrl(host) : host)

const pauseUntil = (h: HostState, untilMs: number, nowMs: number): void => {
  if (untilMs <= h.pausedUntilMs) return
  if (h.pausedUntilMs <= nowMs) h.pauseStartMs = nowMs
  h.pausedUntilMs = untilMs
  h.burstUntilMs = untilMs + (untilMs - h.pauseStartMs)
}

/**
 * The server's count beats any guess. Requests started after the answered one may not be in that count
 * yet, so they are charged against it too (conservative: at worst a few starts wait for the reset).
 */
const applyHint = (h: HostState, hint: RateLimitHint, nowMs: number, startedAfter: number): void => {
  if (hint.retryAfterMs !== undefined && hint.retryAfterMs > 0) pauseUntil(h, nowMs + hint.retryAfterMs, nowMs)
  if (hint.remaining !== undefined && hint.resetMs !== undefined) {
    const remaining = Math.max(0, Math.floor(hint.remaining) - startedAfter)
    const resetAtMs = nowMs + Math.max(0, hint.resetMs)
    // Answers of one window arrive out of order: within it, the lowest count is the truest.
    const sameWindow = h.quota !== undefined && Math.abs(h.quota.resetAtMs - resetAtMs) < 1000
    h.quota = { remaining: sameWindow ? Math.min(h.quota!.remaining, remaining) : remaining, resetAtMs }
  }
}

/** A hint that cannot be read (a throwing header parser) is no hint: it must not fail a good answer. */
const readHint = <A>(hint: ((a: A) => RateLimitHint | undefined) | undefined, value: A): RateLimitHint | undefined => {
  try {
    return hint?.(value)
  } catch {
    return undefined
  }
}

/** When this host may next start a request (ms), ignoring the rps ceiling. */
const openAtMs = (h: HostState, nowMs: number): number => {
  if (h.quota !== undefined && nowMs >= h.quota.resetAtMs) h.quota = undefined
  const quotaWait = h.quota !== undefined && h.quota.remaining <= 0 ? h.quota.resetAtMs : 0
  return Math.max(h.pausedUntilMs, quotaWait)
}

export const makeGovernorEngine = (options: GovernorEngineOptions): Effect.Effect<GovernorEngine> =>
  Effect.gen(function* () {
    const hosts = new Map<string, HostState>()
    const spacingMs = options.rps !== undefined && options.rps > 0 ? 1000 / options.rps : 0

    const hostState = (host: string): Effect.Effect<HostState> => Effect.suspend(() => {
      const existing = hosts.get(host)
      if (existing !== undefined) return Effect.succeed(existing)
      return Effect.map(Clock.currentTimeMillis, (now) => {
        const learned = options.initialLimitOf?.(host)
        const start = options.adaptive ? clampLimit(options.aimd, learned ?? options.initial) : options.initial
        const created: HostState = {
          host,
          permits: new PermitPool(permitsOf(start)),
          aimd: options.adaptive
            ? initialState(options.aimd, start, now, learned !== undefined)
            : initialState({ ...options.aimd, min: start, max: start }, start, now),
          inFlight: 0,
          requests: 0,
          rateLimited: 0,
          pausedUntilMs: 0,
          pauseStartMs: 0,
          burstUntilMs: 0,
          nextStartMs: 0,
          quota: undefined
        }
        hosts.set(host, created)
        return created
      })
    })

    /** Waits out pauses, an exhausted quota and the rps spacing; then charges the quota. */
    const awaitTurn = (h: HostState): Effect.Effect<void> =>
      Effect.gen(function* () {
        while (true) {
          const now = yield* Clock.currentTimeMillis
          const openAt = openAtMs(h, now)
          if (openAt > now) {
            yield* Effect.sleep(openAt - now)
            resize(h, yield* Clock.currentTimeMillis)
            continue
          }
          if (spacingMs > 0) {
            const slot = Math.max(now, h.nextStartMs)
            h.nextStartMs = slot + spacingMs
            if (slot > now) {
              yield* Effect.sleep(slot - now)
              const after = yield* Clock.currentTimeMillis
              // A pause that began while waiting for the slot wins: the slot is given up.
              if (openAtMs(h, after) > after) continue
            }
          }
          if (h.quota !== undefined) h.quota.remaining -= 1
          return
        }
      })

    /** A host that is open now starts at once, without the bookkeeping of a wait. */
    const turn = (h: HostState): Effect.Effect<void> =>
      Effect.clockWith((clock) => {
        const now = clock.unsafeCurrentTimeMillis()
        if (spacingMs > 0 || openAtMs(h, now) > now) return waiting(awaitTurn(h))
        if (h.quota !== undefined) h.quota.remaining -= 1
        return Effect.void
      })

    const catchUp = options.adaptive ? options.catchUp ?? 0 : 0

    /** The limit's permits, plus the catch-up burst right after a pause. */
    const resize = (h: HostState, nowMs: number): void => {
      const base = permitsOf(h.aimd.limit)
      const bursting = catchUp > 0 && nowMs >= h.pausedUntilMs && nowMs < h.burstUntilMs
      const permits = bursting ? base + Math.ceil(base * catchUp) : base
      if (permits !== h.permits.size) h.permits.resize(permits)
    }

    const learn = <A, E>(
      h: HostState,
      exit: Exit.Exit<A, E>,
      startedMs: number,
      generation: number,
      seq: number,
      hint: ((a: A) => RateLimitHint | undefined) | undefined
    ): Effect.Effect<void> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const inFlight = h.inFlight
        h.inFlight -= 1
        const before = h.aimd.limit
        if (Exit.isSuccess(exit)) {
          const announced = readHint(hint, exit.value)
          if (announced !== undefined) applyHint(h, announced, now, h.requests - seq)
          if (options.adaptive) {
            h.aimd = onSuccess(options.aimd, h.aimd, { nowMs: now, generation, latencyMs: now - startedMs, inFlight })
          }
        } else {
          const failure = Cause.failureOption(exit.cause)
          if (Option.isSome(failure)) {
            const error: unknown = failure.value
            if (error instanceof SourceError && error.retryAfterMs !== undefined && error.retryAfterMs > 0) {
              pauseUntil(h, now + error.retryAfterMs, now)
            }
            const kind = congestionOf(error)
            if (kind === "RateLimited") h.rateLimited += 1
            if (kind !== undefined && options.adaptive) {
              h.aimd = onCongestion(options.aimd, h.aimd, { nowMs: now, generation, kind })
            }
          }
        }
        resize(h, now)
        return h.aimd.limit < before
          ? Effect.logDebug("governor limit lowered").pipe(
            Effect.annotateLogs({ host: displayHost(h.host), limit: permitsOf(h.aimd.limit), inFlight })
          )
          : Effect.void
      })

    const withPermit = <A, E, R>(
      host: string,
      request: Effect.Effect<A, E, R>,
      hint?: (a: A) => RateLimitHint | undefined
    ): Effect.Effect<A, E, R> =>
      Effect.flatMap(hostState(host), (h) =>
        // The queue for a permit and a paused host are waits by design, not a stalled unit.
        h.permits.withPermit(
          Effect.zipRight(
            turn(h),
            Effect.uninterruptibleMask((restore) =>
              Effect.flatMap(Clock.currentTimeMillis, (startedMs) => {
                const generation = h.aimd.generation
                h.inFlight += 1
                h.requests += 1
                const seq = h.requests
                return restore(request).pipe(Effect.onExit((exit) => learn(h, exit, startedMs, generation, seq, hint)))
              })
            )
          ),
          waiting
        )
      )

    const snapshot: Effect.Effect<ReadonlyArray<HostSnapshot>> = Effect.map(Clock.currentTimeMillis, (now) =>
      Array.from(hosts.values(), (h) => ({
        host: displayHost(h.host),
        limit: permitsOf(h.aimd.limit),
        inFlight: h.inFlight,
        requests: h.requests,
        rateLimited: h.rateLimited,
        pausedUntilMs: openAtMs(h, now)
      }))
    )

    const safeLimits: Effect.Effect<ReadonlyArray<SafeLimit>> = Effect.sync(() =>
      Array.from(hosts.values(), (h) => ({ host: h.host, safeLimit: h.aimd.safeLimit }))
    )

    const states = Effect.sync(() => Array.from(hosts.values(), (h) => ({ host: displayHost(h.host), aimd: h.aimd })))

    return { withPermit, snapshot, safeLimits, states }
  })
