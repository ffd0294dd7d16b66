/** The figures of a running job, as the engine counts them. */
export interface ProgressSnapshot {
  readonly job: string
  readonly unitsTotal: number
  readonly unitsDone: number
  readonly unitsError: number
  readonly unitsInFlight: number
  /** Rows ClickHouse acknowledged (or, in a dry run, would have received). */
  readonly rows: number
  readonly quarantined: number
  readonly elapsedMs: number
  /** Concurrency as the governor sees it, e.g. "32" or "41/256". */
  readonly workers: string
}

export interface Rates {
  readonly unitsPerSec: number
  readonly rowsPerSec: number
  /** Milliseconds until every selected unit is finished at the current rate; undefined before any finished. */
  readonly etaMs: number | undefined
}

export const rates = (s: ProgressSnapshot): Rates => {
  const seconds = s.elapsedMs / 1000
  const finished = s.unitsDone + s.unitsError
  const unitsPerSec = seconds > 0 ? finished / seconds : 0
  const rowsPerSec = seconds > 0 ? s.rows / seconds : 0
  const remaining = Math.max(0, s.unitsTotal - finished)
  const etaMs = remaining === 0 ? 0 : unitsPerSec > 0 ? (remaining / unitsPerSec) * 1000 : undefined
  return { unitsPerSec, rowsPerSec, etaMs }
}

export const formatDuration = (ms: number): string => {
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`
}

const rate = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))

export const formatCount = (n: number): string => n.toLocaleString("en-US")

/** One line: `fills 1,234/20,000 units (5 errors) · 61,700 rows · 41.2 units/s · 2,060 rows/s · ETA 6m47s · workers 32`. */
export const formatProgress = (s: ProgressSnapshot): string => {
  const r = rates(s)
  const finished = s.unitsDone + s.unitsError
  const parts = [
    `${s.job} ${formatCount(finished)}/${formatCount(s.unitsTotal)} units${s.unitsError > 0 ? ` (${formatCount(s.unitsError)} errors)` : ""}`,
    `${formatCount(s.rows)} rows${s.quarantined > 0 ? ` (+${formatCount(s.quarantined)} quarantined)` : ""}`,
    `${rate(r.unitsPerSec)} units/s`,
    `${rate(r.rowsPerSec)} rows/s`,
    `ETA ${r.etaMs === undefined ? "?" : formatDuration(r.etaMs)}`,
    `in flight ${s.unitsInFlight}`,
    `workers ${s.workers}`
  ]
  return parts.join(" · ")
}
