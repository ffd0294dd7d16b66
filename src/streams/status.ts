import { Clock, Effect } from "effect"
import { formatCount, formatDuration } from "../domain/progress.js"
import { Quarantine } from "../domain/statements.js"
import type { BackfillUnitRow, UnitStatus, WorkerHeartbeatRow } from "../domain/tables.js"
import { ClickHouse } from "../services/ClickHouse.js"
import { Heartbeats } from "../services/Heartbeats.js"
import { DEAD_AFTER_S } from "./heartbeat.js"
import type { UnitStoreError } from "../services/UnitStore.js"
import { UnitStore } from "../services/UnitStore.js"

export const STATUSES: ReadonlyArray<UnitStatus> = ["pending", "in_progress", "done", "error"]

/**
 * How a run stands: the state its final heartbeat recorded, else `running` while it beats and its
 * process lives, `crashed` once it fell silent (or its pid on this host is gone) without one. `ended`
 * is a silent run from before migration 0003, which recorded no state.
 */
export type RunShown = "running" | "finished" | "interrupted" | "failed" | "crashed" | "ended"

/** Whether a heartbeat's process lives: undefined when it cannot tell (another host). */
export type ProcessAlive = (host: string, pid: number) => boolean | undefined

/** One run's figures, each computed once here from its latest heartbeat (exact counters of that run). */
export interface RunView {
  readonly beat: WorkerHeartbeatRow
  readonly shown: RunShown
  readonly seconds: number
  readonly unitsPerSec: number
  readonly rowsPerSec: number
}

/** A run's figures from its units' checkpoints, when no heartbeat tells (file checkpoints). */
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
  /** Units being fetched right now: in flight in the runs that are running. */
  readonly fetching: number
  /** Units finished per second by the running runs together, the rate the ETA assumes. */
  readonly unitsPerSec: number
  /** Seconds until every pending or claimed unit is finished at that rate; undefined with no running run. */
  readonly etaS: number | undefined
  /** Only when no heartbeat covers the last run. */
  readonly lastRun: LastRun | undefined
  /** The latest heartbeat of each recent run, newest first. */
  readonly runs: ReadonlyArray<RunView>
  /** Rows of this job set aside in table quarantine; undefined where it was not read. */
  readonly quarantined: number | undefined
  /** The ten latest errors, newest first. */
  readonly errors: ReadonlyArray<{ readonly unit: string; readonly message: string; readonly at: number; readonly attempts: number }>
}

export const runShown = (beat: WorkerHeartbeatRow, nowS: number, processAlive: ProcessAlive = () => undefined): RunShown => {
  if (beat.state !== "running" && beat.state !== "") return beat.state
  const gone = processAlive(beat.host, beat.pid) === false || nowS - beat.updated_at > DEAD_AFTER_S
  return !gone ? "running" : beat.state === "running" ? "crashed" : "ended"
}

const runView = (beat: WorkerHeartbeatRow, nowS: number, processAlive: ProcessAlive | undefined): RunView => {
  const seconds = Math.max(1, beat.updated_at - beat.started_at)
  return {
    beat,
    shown: runShown(beat, nowS, processAlive),
    seconds,
    unitsPerSec: (beat.units_done + beat.units_error) / seconds,
    rowsPerSec: beat.rows / seconds
  }
}

/** The last run as its units' checkpoints tell it: each unit's rows include those earlier runs wrote before a resume. */
const lastRunOf = (units: ReadonlyArray<BackfillUnitRow>): LastRun | undefined => {
  let latest: BackfillUnitRow | undefined
  for (const u of units) if (u.run_id !== "" && (latest === undefined || u.last_run_at > latest.last_run_at)) latest = u
  if (latest === undefined) return undefined
  const of = units.filter((u) => u.run_id === latest.run_id && (u.status === "done" || u.status === "error"))
  if (of.length === 0) return undefined
  const first = Math.min(...of.map((u) => u.last_run_at))
  const last = Math.max(...of.map((u) => u.last_run_at))
  const seconds = Math.max(1, last - first)
  const rows = of.reduce((n, u) => n + u.rows, 0)
  return { runId: latest.run_id, units: of.length, rows, seconds, unitsPerSec: of.length / seconds, rowsPerSec: rows / seconds, endedAt: last }
}

export const summarize = (
  job: string,
  units: ReadonlyArray<BackfillUnitRow>,
  beats: ReadonlyArray<WorkerHeartbeatRow> = [],
  nowS = 0,
  options: { readonly processAlive?: ProcessAlive; readonly quarantined?: number } = {}
): JobStatus => {
  const byStatus: Record<UnitStatus, number> = { pending: 0, in_progress: 0, done: 0, error: 0 }
  let rows = 0
  for (const u of units) {
    byStatus[u.status] = (byStatus[u.status] ?? 0) + 1
    rows += u.rows
  }
  const runs = beats.map((b) => runView(b, nowS, options.processAlive))
  const running = runs.filter((r) => r.shown === "running")
  const fetching = running.reduce((n, r) => n + r.beat.units_in_flight, 0)
  const unitsPerSec = running.reduce((n, r) => n + r.unitsPerSec, 0)
  const left = byStatus.pending + byStatus.in_progress
  const etaS = running.length === 0 ? undefined : left === 0 ? 0 : unitsPerSec > 0 ? left / unitsPerSec : undefined
  const errors = units
    .filter((u) => u.status === "error")
    .sort((a, b) => b.last_run_at - a.last_run_at || (a.unit_key < b.unit_key ? -1 : 1))
    .slice(0, 10)
    .map((u) => ({ unit: u.unit_key, message: u.error_message, at: u.last_run_at, attempts: u.attempts }))
  return {
    job,
    units: units.length,
    byStatus,
    rows,
    fetching,
    unitsPerSec,
    etaS,
    lastRun: runs.length === 0 ? lastRunOf(units) : undefined,
    runs,
    quarantined: options.quarantined,
    errors
  }
}

/** Rows of `job` in table quarantine. */
export const quarantineCount = (job: string) =>
  Effect.flatMap(ClickHouse, (clickhouse) => clickhouse.query(Quarantine.count.sql(job), Quarantine.count.rows)).pipe(
    Effect.map((rows) => rows[0]?.n ?? 0)
  )

export interface StatusOptions<R> {
  readonly processAlive?: ProcessAlive
  /** How to count a job's quarantined rows; absent where there is no ClickHouse to ask. */
  readonly quarantined?: (job: string) => Effect.Effect<number, unknown, R>
}

/** `status [job]`: every job with units when none is named. */
export const jobStatuses = <R = never>(
  job: string | undefined,
  options: StatusOptions<R> = {}
): Effect.Effect<ReadonlyArray<JobStatus>, UnitStoreError, UnitStore | R> =>
  Effect.gen(function* () {
    const store = yield* UnitStore
    const heartbeats = yield* Heartbeats
    const nowS = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    const jobs = job === undefined ? yield* store.jobs : [job]
    return yield* Effect.forEach(jobs, (name) =>
      Effect.gen(function* () {
        const units = yield* store.load(name)
        const runs = yield* heartbeats.latest(name, 5).pipe(Effect.orElseSucceed(() => []))
        const count = options.quarantined
        const quarantined = count === undefined ? undefined : yield* count(name).pipe(Effect.orElseSucceed(() => undefined))
        return summarize(name, units, runs, nowS, {
          ...(options.processAlive === undefined ? {} : { processAlive: options.processAlive }),
          ...(quarantined === undefined ? {} : { quarantined })
        })
      })
    )
  })

const iso = (s: number) => new Date(s * 1000).toISOString().replace(".000Z", "Z")
const perSec = (x: number) => (x >= 10 ? formatCount(Math.round(x)) : x.toFixed(1))
const percent = (part: number, whole: number) => (whole === 0 ? "0%" : `${((100 * part) / whole).toFixed(part === whole ? 0 : 1)}%`)

const runLine = (r: RunView): string => {
  const b = r.beat
  const live = r.shown === "running"
  const inFlight = live ? ` · fetching ${formatCount(b.units_in_flight)} units, ${formatCount(b.in_flight)} requests in flight (workers ${b.workers_limit})` : ""
  const limited = b.rate_limited_share > 0 ? ` · ${(b.rate_limited_share * 100).toFixed(1)}% 429s` : ""
  return (
    `    ${b.run_id} ${r.shown} · ${b.host || "?"} pid ${b.pid} shard ${b.shard} · ${iso(b.started_at)} to ${iso(b.updated_at)} (${formatDuration(r.seconds * 1000)})` +
    ` · ${formatCount(b.units_done)} units done${b.units_error > 0 ? `, ${formatCount(b.units_error)} errors` : ""}, ${formatCount(b.rows)} rows` +
    ` (${perSec(r.unitsPerSec)} units/s, ${perSec(r.rowsPerSec)} rows/s)${inFlight}${limited}`
  )
}

const READ_QUARANTINE = (job: string) => Quarantine.latest.sql(job)

export const formatStatus = (s: JobStatus): ReadonlyArray<string> => {
  const b = s.byStatus
  const lines = [`${s.job}: ${formatCount(s.units)} units, ${formatCount(s.rows)} rows`]
  if (s.units === 0) {
    lines.push(`  no units: run \`polybackfill plan ${s.job}\``)
    return lines
  }
  const eta =
    s.etaS === undefined
      ? s.runs.length > 0 && b.pending + b.in_progress > 0 ? ` · no run is running (\`polybackfill run ${s.job}\` continues)` : ""
      : ` · ETA ${formatDuration(s.etaS * 1000)} at ${perSec(s.unitsPerSec)} units/s (the running runs' rate)`
  lines.push(`  progress: ${formatCount(b.done)} of ${formatCount(s.units)} units done (${percent(b.done, s.units)})${eta}`)
  lines.push(
    `  units: pending ${formatCount(b.pending)} · claimed ${formatCount(b.in_progress)} (in_progress in the store) · ` +
      `done ${formatCount(b.done)} · error ${formatCount(b.error)}`
  )
  const running = s.runs.filter((r) => r.shown === "running").length
  if (running > 0) lines.push(`  fetching now: ${formatCount(s.fetching)} units in flight in ${running} running run${running === 1 ? "" : "s"}`)
  if (s.quarantined !== undefined && s.quarantined > 0) {
    lines.push(`  quarantined: ${formatCount(s.quarantined)} rows set aside with a reason; read them with: ${READ_QUARANTINE(s.job)}`)
  }
  if (s.lastRun !== undefined) {
    const r = s.lastRun
    lines.push(
      `  last run ${r.runId} (until ${iso(r.endedAt)}, from its units' checkpoints): ${formatCount(r.units)} units, ${formatCount(r.rows)} rows in ~${formatDuration(r.seconds * 1000)} ` +
        `(${perSec(r.unitsPerSec)} units/s, ${perSec(r.rowsPerSec)} rows/s)`
    )
  }
  if (s.runs.length > 0) {
    lines.push(`  runs (newest first, from their heartbeats):`)
    for (const r of s.runs) lines.push(runLine(r))
  }
  if (s.errors.length > 0) {
    lines.push(`  latest errors (retry them with \`polybackfill run ${s.job} --retry-errors\`):`)
    for (const e of s.errors) lines.push(`    ${e.unit}  [${iso(e.at)}, ${e.attempts} attempt${e.attempts === 1 ? "" : "s"}]  ${e.message}`)
  }
  return lines
}
