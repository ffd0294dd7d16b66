import type { Scope } from "effect"
import { Clock, Duration, Effect, Exit, Fiber } from "effect"
import type { RunState, UnitHead } from "../domain/tables.js"
import type { Shard } from "../domain/units.js"
import { formatShard } from "../domain/units.js"
import type { HeartbeatsApi } from "../services/Heartbeats.js"
import type { RunCounters } from "./checkpoint.js"

/** Heartbeat period; a run silent for three periods is dead and its in_progress units are taken back. */
export const HEARTBEAT_EVERY_S = 10
export const DEAD_AFTER_S = 3 * HEARTBEAT_EVERY_S

export interface HeartbeatDeps {
  readonly heartbeats: HeartbeatsApi
  readonly job: string
  readonly runId: string
  readonly identity: { readonly host: string; readonly pid: number } | undefined
  readonly shard: Shard
  readonly workers: number
  readonly startedAtMs: number
  readonly counters: RunCounters
  readonly governorStats: Effect.Effect<{ readonly limit: number; readonly inFlight: number; readonly rateLimitedShare: number }> | undefined
}

/** How a run ended, from the exit of its scope: a run that never writes this final state crashed. */
export const endState = (exit: Exit.Exit<unknown, unknown>): RunState =>
  Exit.isSuccess(exit) ? "finished" : Exit.isInterrupted(exit) ? "interrupted" : "failed"

/**
 * Writes this run's heartbeat now, every HEARTBEAT_EVERY_S while the scope lasts, and once more with
 * the final counts and how the run ended when it closes. A heartbeat that cannot be written is a
 * warning, never a failure.
 */
export const startHeartbeats = (d: HeartbeatDeps): Effect.Effect<void, never, Scope.Scope> => {
  const beat = (state: RunState) => Effect.gen(function* () {
    const nowMs = yield* Clock.currentTimeMillis
    const g = d.governorStats === undefined ? undefined : yield* d.governorStats
    const seconds = (nowMs - d.startedAtMs) / 1000
    const c = d.counters
    yield* d.heartbeats.beat({
      job: d.job,
      run_id: d.runId,
      host: d.identity?.host ?? "",
      pid: d.identity?.pid ?? 0,
      shard: formatShard(d.shard),
      state,
      workers_limit: g?.limit ?? d.workers,
      in_flight: g?.inFlight ?? c.unitsInFlight,
      units_in_flight: c.unitsInFlight,
      units_done: c.unitsDone,
      units_error: c.unitsError,
      rows: c.rows,
      rows_per_sec: seconds > 0 ? c.rows / seconds : 0,
      rate_limited_share: g?.rateLimitedShare ?? 0,
      started_at: Math.floor(d.startedAtMs / 1000),
      updated_at: Math.floor(nowMs / 1000)
    })
  }).pipe(Effect.catchAll((e) => Effect.logWarning(`heartbeat not written: ${e.message}`)))
  return Effect.gen(function* () {
    yield* beat("running")
    const periodic = yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(Duration.seconds(HEARTBEAT_EVERY_S)), beat("running"))))
    // The periodic beat stops first: a `running` beat landing after the final one would hide how the run ended.
    yield* Effect.addFinalizer((exit) => Effect.zipRight(Fiber.interrupt(periodic), beat(endState(exit))))
  })
}

/**
 * What a run says when it takes units back: one line per dead run whose in_progress units it selected
 * (a run is dead once it recorded its ending, has not beaten for DEAD_AFTER_S, or its pid on this host is gone).
 */
export const takebackLines = (selected: ReadonlyArray<UnitHead>, runId: string): ReadonlyArray<string> => {
  const byRun = new Map<string, number>()
  for (const u of selected) if (u.status === "in_progress" && u.run_id !== runId) byRun.set(u.run_id, (byRun.get(u.run_id) ?? 0) + 1)
  return [...byRun].map(
    ([dead, n]) =>
      `taking ${n} unit${n === 1 ? "" : "s"} back from dead run ${dead || "(unknown)"} (it ended, sent no heartbeat for ${DEAD_AFTER_S} s, or its process on this host is gone): ` +
      "each resumes from its last checkpoint"
  )
}
