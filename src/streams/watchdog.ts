import type { Scope } from "effect"
import { Clock, Data, Duration, Effect, Exit, Fiber, FiberId } from "effect"
import { formatDuration } from "../domain/progress.js"
import type { WaitReporter } from "../services/Waiting.js"
import { currentWaitReporter } from "../services/Waiting.js"

/** A unit showed no sign of life for the stall timeout. */
export class UnitStalled extends Data.TaggedError("UnitStalled")<{
  readonly unit: string
  readonly silentMs: number
  readonly stalls: number
}> {
  override get message(): string {
    return (
      `stalled: no progress for ${formatDuration(this.silentMs)}, ${this.stalls} time${this.stalls === 1 ? "" : "s"} in a row ` +
      `(raise --stall-timeout if the source is only slow)`
    )
  }
}

export interface StallWatch {
  /** Epoch ms of the unit's last sign of life. */
  readonly progressAt: () => number
  readonly touch: (nowMs: number) => void
  /** Called before each retry, with how long the unit was silent and which stall this is (1, 2, ...). */
  readonly onStall: (silentMs: number, stalls: number) => Effect.Effect<void>
}

export interface Watchdog {
  /**
   * Runs `attempt` (which resumes from wherever the unit got to) under the watchdog: when the unit
   * shows no progress for the timeout, the attempt is interrupted (its request aborted) and started
   * again, up to the retries; then the unit fails with UnitStalled, which the engine records as error.
   */
  readonly watched: <A, E, R>(unit: string, attempt: Effect.Effect<A, E, R>, w: StallWatch) => Effect.Effect<A, E | UnitStalled, R>
}

interface Watched {
  readonly w: StallWatch
  /** Waits by design in progress (services/Waiting.ts): not silence. */
  waits: number
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined
  /** Set by the scanner when it interrupts the attempt for silence. */
  silentMs: number | undefined
}

/**
 * One scanner for every unit of a run, rather than a timer raced against each attempt (which cost
 * more CPU than the unit's own request). It sleeps until the earliest moment a unit could have been
 * silent for the timeout, so a stall is caught exactly then.
 */
export const makeWatchdog = (options: { readonly timeout: Duration.DurationInput; readonly maxRetries: number }): Effect.Effect<Watchdog, never, Scope.Scope> =>
  Effect.gen(function* () {
    const timeoutMs = Math.max(1, Duration.toMillis(Duration.decode(options.timeout)))
    const entries = new Set<Watched>()

    const scan = Effect.gen(function* () {
      while (true) {
        const now = yield* Clock.currentTimeMillis
        let next = now + timeoutMs
        for (const e of entries) {
          if (e.fiber === undefined || e.silentMs !== undefined || e.waits > 0) continue
          const silent = now - e.w.progressAt()
          if (silent >= timeoutMs) {
            e.silentMs = silent
            e.fiber.unsafeInterruptAsFork(FiberId.none)
          } else next = Math.min(next, now + timeoutMs - silent)
        }
        // A unit that starts, restarts or ends a wait later has a later deadline than `next`.
        yield* Effect.sleep(Duration.millis(next - now))
      }
    })
    yield* Effect.forkScoped(scan)

    const watched = <A, E, R>(unit: string, attempt: Effect.Effect<A, E, R>, w: StallWatch): Effect.Effect<A, E | UnitStalled, R> => {
      const entry: Watched = { w, waits: 0, fiber: undefined, silentMs: undefined }
      // The end of a wait is a sign of life.
      const report: WaitReporter = (delta, nowMs) => {
        entry.waits += delta
        if (entry.waits === 0) w.touch(nowMs)
      }
      const watchedAttempt = Effect.locally(attempt, currentWaitReporter, report)
      const loop = (stalls: number): Effect.Effect<A, E | UnitStalled, R> =>
        Effect.gen(function* () {
          w.touch(yield* Clock.currentTimeMillis)
          entry.silentMs = undefined
          const fiber = yield* Effect.fork(watchedAttempt)
          entry.fiber = fiber
          const exit = yield* Effect.onInterrupt(Fiber.await(fiber), () => Fiber.interrupt(fiber))
          entry.fiber = undefined
          if (Exit.isSuccess(exit)) return exit.value
          const silentMs = entry.silentMs
          if (silentMs === undefined || !Exit.isInterrupted(exit)) return yield* Effect.failCause(exit.cause)
          if (stalls >= options.maxRetries) return yield* new UnitStalled({ unit, silentMs, stalls: stalls + 1 })
          yield* w.onStall(silentMs, stalls + 1)
          return yield* loop(stalls + 1)
        })
      return Effect.acquireUseRelease(
        Effect.sync(() => entries.add(entry)),
        () => loop(0),
        () => Effect.sync(() => entries.delete(entry))
      )
    }
    return { watched }
  })
