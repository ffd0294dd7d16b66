import { Clock, Data, Duration, Effect, Exit } from "effect"
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
  /** A unit silent this long is interrupted and retried. */
  readonly timeout: Duration.DurationInput
  /** Retries after a stall before the unit fails with UnitStalled. */
  readonly maxRetries: number
  /** Epoch ms of the unit's last sign of life. */
  readonly progressAt: () => number
  readonly touch: (nowMs: number) => void
  /** Called before each retry, with how long the unit was silent and which stall this is (1, 2, ...). */
  readonly onStall: (silentMs: number, stalls: number) => Effect.Effect<void>
}

const watch = (unit: string, timeoutMs: number, w: StallWatch, stalls: number, waits: () => number): Effect.Effect<never, UnitStalled> =>
  Effect.gen(function* () {
    while (true) {
      const silent = (yield* Clock.currentTimeMillis) - w.progressAt()
      if (silent >= timeoutMs && waits() === 0) return yield* new UnitStalled({ unit, silentMs: silent, stalls })
      yield* Effect.sleep(Duration.millis(silent >= timeoutMs ? timeoutMs : timeoutMs - silent))
    }
  })

/**
 * Runs `attempt` (which resumes from wherever the unit got to) under a watchdog: when the unit shows
 * no progress for the timeout, the attempt is interrupted (its request aborted) and started again,
 * up to `maxRetries` times; then the unit fails with UnitStalled, which the engine records as error.
 */
export const watched = <A, E, R>(unit: string, attempt: Effect.Effect<A, E, R>, w: StallWatch): Effect.Effect<A, E | UnitStalled, R> => {
  const timeoutMs = Math.max(1, Duration.toMillis(Duration.decode(w.timeout)))
  // Waits by design (services/Waiting.ts) are not silence; the end of one is a sign of life.
  let waits = 0
  const report: WaitReporter = (delta, nowMs) => {
    waits += delta
    if (waits === 0) w.touch(nowMs)
  }
  const watchedAttempt = Effect.locally(attempt, currentWaitReporter, report)
  const loop = (stalls: number): Effect.Effect<A, E | UnitStalled, R> =>
    Effect.gen(function* () {
      w.touch(yield* Clock.currentTimeMillis)
      const exit = yield* Effect.exit(Effect.raceFirst(watchedAttempt, watch(unit, timeoutMs, w, stalls + 1, () => waits)))
      if (Exit.isSuccess(exit)) return exit.value
      const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
      if (failure instanceof UnitStalled && stalls < w.maxRetries) {
        yield* w.onStall(failure.silentMs, stalls + 1)
        return yield* loop(stalls + 1)
      }
      return yield* Effect.failCause(exit.cause)
    })
  return loop(0)
}
