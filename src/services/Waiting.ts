import { Clock, Effect, FiberRef } from "effect"

/**
 * Where a unit's fiber hears of waits that are by design, not silence: a governor queue or a host
 * paused by Retry-After, a retry's backoff, a full sink. The engine installs one per unit for its
 * stall watchdog; elsewhere the default ignores them.
 */
export type WaitReporter = (delta: 1 | -1, nowMs: number) => void

export const currentWaitReporter: FiberRef.FiberRef<WaitReporter> = FiberRef.unsafeMake<WaitReporter>(() => {})

/** Runs `self` as a deliberate wait. */
export const waiting = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(FiberRef.get(currentWaitReporter), (report) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(Clock.currentTimeMillis, (start) => {
        report(1, start)
        return Effect.ensuring(restore(self), Effect.flatMap(Clock.currentTimeMillis, (end) => Effect.sync(() => report(-1, end))))
      })
    )
  )
