/** The figures of a running job, as the engine counts them. */
export interface ProgressSnapshot {
  readonly job: string
  /** Units this run selected. */
  readonly unitsTotal: number
  readonly unitsDone: number
  readonly unitsError: number
  /** Units being fetched now. */
  readonly unitsInFlight: number
  /** Every unit of the job (all shards, all runs), and those done, this run's included. */
  readonly jobUnits: number
  readonly jobDone: number
  /** Rows ClickHouse acknowledged (or, in a dry run, would have received). */
  readonly rows: number
  readonly quarantined: number
  readonly elapsedMs: number
  /** Requests to the sources as the governor sees them, e.g. "8 in flight (limit 8)". */
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

/** Share of the whole job done, 0..1 (not only this run's selection). */
export const jobShare = (s: ProgressSnapshot): number => (s.jobUnits > 0 ? Math.min(1, s.jobDone / s.jobUnits) : 0)

const percent = (share: number): string => `${(Math.floor(share * 1000) / 10).toFixed(1)}%`

/** `[██████░░░░]`: the whole job's share done. */
export const progressBar = (share: number, width: number): string => {
  const full = Math.round(Math.min(1, Math.max(0, share)) * width)
  return `[${"█".repeat(full)}${"░".repeat(width - full)}]`
}

/** The parts of a progress line, most important first; a narrow terminal keeps the first ones. */
const progressParts = (s: ProgressSnapshot): ReadonlyArray<string> => {
  const r = rates(s)
  const finished = s.unitsDone + s.unitsError
  return [
    `this run ${formatCount(finished)}/${formatCount(s.unitsTotal)} units${s.unitsError > 0 ? ` (${formatCount(s.unitsError)} errors)` : ""}`,
    `ETA ${r.etaMs === undefined ? "?" : formatDuration(r.etaMs)}`,
    `units ${formatCount(s.unitsInFlight)} in flight`,
    `requests ${s.workers}`,
    `${rate(r.unitsPerSec)} units/s`,
    `${formatCount(s.rows)} rows${s.quarantined > 0 ? ` (+${formatCount(s.quarantined)} quarantined)` : ""}`,
    `${rate(r.rowsPerSec)} rows/s`
  ]
}

const jobPart = (s: ProgressSnapshot, bar = "") => `${s.job} ${bar}${percent(jobShare(s))} of ${formatCount(s.jobUnits)} units`

/**
 * A periodic plain line (no terminal):
 * `fills 45.0% of 20,000 units · this run 1,234/11,000 units (5 errors) · ETA 6m47s · units 256 in flight · requests 8 in flight (limit 8) · 41.2 units/s · 61,700 rows · 2,060 rows/s`.
 */
export const formatProgress = (s: ProgressSnapshot): string => [jobPart(s), ...progressParts(s)].join(" · ")

/**
 * The live line on a terminal of `width` columns: a bar of the whole job first, then as many parts as
 * fit; it never wraps.
 */
export const formatProgressLine = (s: ProgressSnapshot, width: number): string => {
  let line = jobPart(s, `${progressBar(jobShare(s), width >= 120 ? 20 : 10)} `)
  for (const part of progressParts(s)) {
    const next = `${line} · ${part}`
    if (next.length > width) break
    line = next
  }
  return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line
}
