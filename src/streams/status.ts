import { Clock, Effect } from "effect"
import { formatCount, formatDuration } from "../domain/progress.js"
import type { BackfillUnitRow, UnitStatus, WorkerHeartbeatRow } from "../domain/tables.js"
import { Heartbeats } from "../services/Heartbeats.js"
import { DEAD_AFTER_S } from "./heartbeat.js"
import type { UnitStoreError } from "../services/UnitStore.js"
import { UnitStore } from "../services/UnitStore.js"

export const STATUSES: ReadonlyArray<UnitStatus> = ["pending", "in_progress", "done", "error"]

export interface LastRun {
  readonly runId: string
  readonly units: number
  readonly rows: number
  /** Seconds between the first and last unit it finished (checkpoint clock: whole seconds). */
  readonly seconds: number
  readonly unitsPerSec: number
  readonly rowsPerSec: number
  readonly endedAt: number
}

export interface JobStatus {
  readonly job: string
  readonly units: number
  readonly byStatus: Readonly<Record<UnitStatus, number>>
  readonly rows: number
  readonly lastRun: LastRun | undefined
  /** The latest heartbeat of each recent run (newest first): the fleet, and the exact rate of each run. */
  readonly runs: ReadonlyArray<WorkerHeartbeatRow & { readonly alive: boolean }>
  /** The ten latest errors, newest first. */
  readonly errors: ReadonlyArray<{ readonly unit: string; readonly message: string; readonly at: number; readonly attempts: number }>
}

export const summarize = (
  job: string,
  units: ReadonlyArray<BackfillUnitRow>,
  runs: ReadonlyArray<WorkerHeartbeatRow> = [],
  nowS = 0
): JobStatus => {
  const byStatus: Record<UnitStatus, number> = { pending: 0, in_progress: 0, done: 0, error: 0 }
  let rows = 0
  for (const u of units) {
    byStatus[u.status] = (byStatus[u.status] ?? 0) + 1
    rows += u.rows
  }
  let latest: BackfillUnitRow | undefined
  for (const u of units) if (u.run_id !== "" && (latest === undefined || u.last_run_at > latest.last_run_at)) latest = u
  let lastRun: LastRun | undefined
  if (latest !== undefined) {
    const of = units.filter((u) => u.run_id === latest.run_id && (u.status === "done" || u.status === "error"))
    if (of.length > 0) {
      const first = Math.min(...of.map((u) => u.last_run_at))
      const last = Math.max(...of.map((u) => u.last_run_at))
      const seconds = Math.max(1, last - first)
      const runRows = of.reduce((n, u) => n + u.rows, 0)
      lastRun = { runId: latest.run_id, units: of.length, rows: runRows, seconds, unitsPerSec: of.length / seconds, rowsPerSec: runRows / seconds, endedAt: last }
    }
  }
  const errors = units
    .filter((u) => u.status === "error")
    .sort((a, b) => b.last_run_at - a.last_run_at || (a.unit_key < b.unit_key ? -1 : 1))
    .slice(0, 10)
    .map((u) => ({ unit: u.unit_key, message: u.error_message, at: u.last_run_at, attempts: u.attempts }))
  const fleet = runs.map((r) => ({ ...r, alive: nowS - r.updated_at <= DEAD_AFTER_S }))
  return { job, units: units.length, byStatus, rows, lastRun, runs: fleet, errors }
}

/** `status [job]`: every job with units when none is named. */
export const jobStatuses = (job: string | undefined): Effect.Effect<ReadonlyArray<JobStatus>, UnitStoreError, UnitStore> =>
  Effect.gen(function* () {
    const store = yield* UnitStore
    const heartbeats = yield* Heartbeats
    const nowS = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const jobs = job === undefined ? yield* store.jobs : [job]
    return yield* Effect.forEach(jobs, (name) =>
      Effect.gen(function* () {
        const units = yield* store.load(name)
        const runs = yield* heartbeats.latest(name, 5).pipe(Effect.orElseSucceed(() => []))
        return summarize(name, units, runs, nowS)
      })
    )
  })

const iso = (s: number) => new Date(s * 1000).toISOString().replace(".000Z", "Z")

export const formatStatus = (s: JobStatus): ReadonlyArray<string> => {
  const lines = [
    `${s.job}: ${formatCount(s.units)} units, ${formatCount(s.rows)} rows`,
    `  ${STATUSES.map((st) => `${st} ${formatCount(s.byStatus[st])}`).join(" · ")}`
  ]
  if (s.units === 0) lines.push(`  no units: run \`polybackfill plan ${s.job}\``)
  if (s.lastRun !== undefined) {
    const r = s.lastRun
    lines.push(
      `  last run ${r.runId} (until ${iso(r.endedAt)}): ${formatCount(r.units)} units, ${formatCount(r.rows)} rows in ~${formatDuration(r.seconds * 1000)} ` +
        `(${r.unitsPerSec.toFixed(1)} units/s, ${formatCount(Math.round(r.rowsPerSec))} rows/s)`
    )
  }
  if (s.runs.length > 0) {
    lines.push(`  runs (heartbeats, newest first):`)
    for (const r of s.runs) {
      lines.push(
        `    ${r.run_id} ${r.alive ? "running" : "ended or dead"} · ${r.host || "?"} pid ${r.pid} shard ${r.shard} · since ${iso(r.started_at)}, last beat ${iso(r.updated_at)} · ` +
          `${formatCount(r.units_done)} units, ${formatCount(r.rows)} rows, ${formatCount(Math.round(r.rows_per_sec))} rows/s · workers ${r.workers_limit} (${r.in_flight} requests, ${r.units_in_flight} units in flight)` +
          `${r.rate_limited_share > 0 ? ` · ${(r.rate_limited_share * 100).toFixed(1)}% 429s` : ""}`
      )
    }
  }
  if (s.errors.length > 0) {
    lines.push(`  latest errors (retry them with \`polybackfill run ${s.job} --retry-errors\`):`)
    for (const e of s.errors) lines.push(`    ${e.unit}  [${iso(e.at)}, ${e.attempts} attempt${e.attempts === 1 ? "" : "s"}]  ${e.message}`)
  }
  return lines
}
