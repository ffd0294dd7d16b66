import { Clock, Effect } from "effect"
import type { UnitWrite } from "../domain/units.js"
import { checkpointed, failed, finished } from "../domain/units.js"

/** A unit as this run holds it: where ClickHouse has acknowledged it up to. */
export interface UnitRun {
  readonly key: string
  /** The row as claimed (status in_progress, this run's id); a stall retry adds an attempt. */
  row: UnitWrite
  readonly startCursor: string
  /** Cursor after the last page whose rows were all acknowledged. */
  ackedCursor: string
  ackedRows: number
  /** `ackedRows` at the last cursor checkpoint written. */
  checkpointRows: number
  /** Its done or error row has been written. */
  finished: boolean
  /** Last sign of life (a page received, its rows acknowledged), epoch ms: what the stall watchdog reads. */
  progressAt: number
}

export const unitRun = (row: UnitWrite, nowMs = 0): UnitRun => ({
  key: row.unit_key,
  row,
  startCursor: row.cursor,
  ackedCursor: row.cursor,
  ackedRows: row.rows,
  checkpointRows: row.rows,
  finished: false,
  progressAt: nowMs
})

/** What travels through the sink behind a page's rows. */
export type Marker =
  | { readonly kind: "page"; readonly unit: UnitRun; readonly cursor: string; readonly rows: number; readonly quarantined: number }
  | { readonly kind: "done"; readonly unit: UnitRun; readonly rows: number; readonly quarantined: number; readonly cursor?: string }
  | { readonly kind: "error"; readonly unit: UnitRun; readonly message: string }

export interface RunCounters {
  unitsDone: number
  unitsError: number
  unitsInFlight: number
  rows: number
  quarantined: number
  readonly errors: Array<{ readonly unit: string; readonly message: string }>
}

export const emptyCounters = (): RunCounters => ({ unitsDone: 0, unitsError: 0, unitsInFlight: 0, rows: 0, quarantined: 0, errors: [] })

/**
 * The sink's acknowledgement handler: turns markers whose rows ClickHouse acknowledged into unit rows
 * (a cursor every `checkpointInterval` rows inside a unit, done, error) and saves them in one batch.
 * Pages of one unit arrive in order, so the last cursor seen is the furthest acknowledged.
 */
export const makeCheckpointer =
  <E>(deps: {
    readonly save: (rows: ReadonlyArray<UnitWrite>) => Effect.Effect<void, E>
    readonly checkpointInterval: number
    readonly counters: RunCounters
    readonly active: Map<string, UnitRun>
  }) =>
  (markers: ReadonlyArray<Marker>): Effect.Effect<void, E> =>
    Effect.gen(function* () {
      const nowMs = yield* Clock.currentTimeMillis
      const nowS = Math.floor(nowMs / 1000)
      const writes = new Map<string, UnitWrite>()
      const ended: Array<UnitRun> = []
      const { counters } = deps
      for (const m of markers) {
        const u = m.unit
        switch (m.kind) {
          case "page":
            u.ackedRows += m.rows
            u.ackedCursor = m.cursor
            u.progressAt = Math.max(u.progressAt, nowMs)
            counters.rows += m.rows
            counters.quarantined += m.quarantined
            if (u.ackedRows - u.checkpointRows >= deps.checkpointInterval) {
              writes.set(u.key, checkpointed(u.row, u.ackedCursor, u.ackedRows, nowS))
              u.checkpointRows = u.ackedRows
            }
            break
          case "done":
            u.ackedRows += m.rows
            counters.rows += m.rows
            counters.quarantined += m.quarantined
            counters.unitsDone++
            writes.set(u.key, finished(u.row, m.cursor ?? u.ackedCursor, u.ackedRows, nowS))
            ended.push(u)
            break
          case "error":
            counters.unitsError++
            counters.errors.push({ unit: u.key, message: m.message })
            if (counters.errors.length > 10) counters.errors.shift()
            writes.set(u.key, failed(u.row, u.ackedCursor, u.ackedRows, m.message, nowS))
            ended.push(u)
            break
        }
      }
      yield* deps.save([...writes.values()])
      for (const u of ended) {
        u.finished = true
        deps.active.delete(u.key)
      }
    })
