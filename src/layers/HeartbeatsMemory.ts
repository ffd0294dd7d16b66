import { Effect, Layer } from "effect"
import type { WorkerHeartbeatRow } from "../domain/tables.js"
import { Heartbeats, stillRunning } from "../services/Heartbeats.js"

/** Heartbeats kept in memory, shared by every run given the same array (several "processes" in one test). */
export const layerMemory = (beats: Array<WorkerHeartbeatRow> = []): Layer.Layer<Heartbeats> =>
  Layer.succeed(Heartbeats, {
    beat: (row) => Effect.sync(() => void beats.push(row)),
    liveRuns: (job, sinceS) =>
      Effect.sync(() =>
        [...new Map(beats.filter((b) => b.job === job && b.updated_at >= sinceS).map((b) => [b.run_id, b])).values()]
          .filter(stillRunning)
          .map(({ run_id, host, pid }) => ({ run_id, host, pid }))
      ),
    latest: (job, limit) =>
      Effect.sync(() => {
        const byRun = new Map<string, WorkerHeartbeatRow>()
        for (const b of beats) if (b.job === job && (byRun.get(b.run_id)?.updated_at ?? -1) <= b.updated_at) byRun.set(b.run_id, b)
        return [...byRun.values()].sort((a, b) => b.updated_at - a.updated_at).slice(0, limit)
      })
  })
