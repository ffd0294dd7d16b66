import { Context, Effect } from "effect"
import type { ClickHouseError } from "../domain/errors.js"
import type { WorkerHeartbeatRow } from "../domain/tables.js"

export interface LiveRun {
  readonly run_id: string
  readonly host: string
  readonly pid: number
}

/** A beat without a final state: `running`, or '' from before migration 0003. */
export const stillRunning = (beat: { readonly state: string }): boolean => beat.state === "running" || beat.state === ""

/**
 * Who is running what: each run writes a heartbeat every 10 s (table worker_heartbeats). A unit left
 * in_progress by a run whose heartbeat stopped is taken back by the next run; one whose run still
 * beats is left alone, so no unit is processed by two live runs at once.
 */
export interface HeartbeatsApi {
  readonly beat: (row: WorkerHeartbeatRow) => Effect.Effect<void, ClickHouseError>
  /** Runs of `job` that beat at or after `sinceS` (epoch seconds) and have not recorded an ending, with where they run. */
  readonly liveRuns: (job: string, sinceS: number) => Effect.Effect<ReadonlyArray<LiveRun>, ClickHouseError>
  /** The latest heartbeat of each run of `job`, newest first. */
  readonly latest: (job: string, limit: number) => Effect.Effect<ReadonlyArray<WorkerHeartbeatRow>, ClickHouseError>
}

/** Without a heartbeat store (tests, dry runs, file checkpoints without ClickHouse) nothing beats. */
export const noHeartbeats: HeartbeatsApi = {
  beat: () => Effect.void,
  liveRuns: () => Effect.succeed([]),
  latest: () => Effect.succeed([])
}

export class Heartbeats extends Context.Reference<Heartbeats>()("polybackfill/Heartbeats", {
  defaultValue: (): HeartbeatsApi => noHeartbeats
}) {}
