import { Duration } from "effect"
import { redactUrl } from "../../domain/redact.js"

/** How the pool treats a failing URL. */
export interface PoolTuning {
  /** Consecutive failures (429, timeout, 5xx, transport) that set a URL aside. */
  readonly failuresToSetAside: number
  /** The first pause of a URL set aside; doubled after each failed probe, up to `maxSetAsideMs`. */
  readonly setAsideMs: number
  readonly maxSetAsideMs: number
}

export const DEFAULT_POOL_TUNING: PoolTuning = { failuresToSetAside: 3, setAsideMs: 30_000, maxSetAsideMs: 300_000 }

/** Weight of the newest success in the typical latency (an exponential moving average). */
const LATENCY_WEIGHT = 0.2

/** One URL of the pool: its identity, its load as the pool sees it, and its health. */
export class Member {
  readonly where: string
  readonly host: string
  /** Its governor entry: per URL, so two URLs of one provider host keep separate limits. */
  readonly key: string
  /** Only a URL that answered chain 137 serves requests; "unknown" ones are checked on their first probe. */
  chain: "unknown" | "verified" | "refused" = "unknown"
  /** Attempts given to it and not finished (waiting for a permit or in flight). */
  assigned = 0
  requests = 0
  failures = 0
  consecutiveFailures = 0
  /** 0 while in service; else when its next probe may go. */
  setAsideUntilMs = 0
  nextPauseMs: number
  probing = false
  latencyMs = 0

  constructor(
    readonly index: number,
    readonly url: string,
    tuning: PoolTuning
  ) {
    this.where = redactUrl(url)
    let host = "invalid-url"
    try {
      host = new URL(url).host
    } catch {
      // kept as "invalid-url": its requests fail as transport errors
    }
    this.host = host
    this.key = `${host}#${index + 1}`
    this.nextPauseMs = tuning.setAsideMs
  }
}

export type Choice =
  | { readonly _tag: "Use"; readonly member: Member; readonly probe: boolean }
  /** Every URL is set aside or paused by its Retry-After: the earliest comes back in `ms`. */
  | { readonly _tag: "Wait"; readonly ms: number }
  /** Every URL was refused (wrong chain). */
  | { readonly _tag: "None" }

/** What the governor says of a URL's entry: its limit, and until when Retry-After pauses it. */
export interface GovernorView {
  readonly limit: number
  readonly pausedUntilMs: number
}

/** How long to wait when the only URLs left have a probe in flight (its answer decides). */
const PROBE_WAIT_MS = 250

const inService = (m: Member, view: GovernorView, nowMs: number) => m.chain !== "refused" && m.setAsideUntilMs === 0 && view.pausedUntilMs <= nowMs
const probeDue = (m: Member, view: GovernorView, nowMs: number) =>
  m.chain !== "refused" && m.setAsideUntilMs > 0 && m.setAsideUntilMs <= nowMs && !m.probing && view.pausedUntilMs <= nowMs

/**
 * A set-aside URL whose pause is over gets the next request (one at a time: half-open). Otherwise the
 * URL in service with the most room under its governor limit, preferring one other than `avoid` (the URL
 * that just failed this request).
 */
export const choose = (
  members: ReadonlyArray<Member>,
  viewOf: (m: Member) => GovernorView,
  nowMs: number,
  avoid?: Member
): Choice => {
  const views = members.map(viewOf)
  const due = members.findIndex((m, i) => probeDue(m, views[i]!, nowMs))
  if (due >= 0) return { _tag: "Use", member: members[due]!, probe: true }
  let best: Member | undefined
  let bestScore = Infinity
  for (let pass = 0; pass < 2 && best === undefined; pass++) {
    members.forEach((m, i) => {
      if (!inService(m, views[i]!, nowMs) || (pass === 0 && m === avoid)) return
      // Load relative to the limit; ties go to the steadier URL, then the less used.
      const score = (m.assigned + 1) / Math.max(1, views[i]!.limit) + m.consecutiveFailures * 1e-3 + m.requests * 1e-12
      if (score < bestScore) {
        best = m
        bestScore = score
      }
    })
  }
  if (best !== undefined) return { _tag: "Use", member: best, probe: false }
  const live = members.map((m, i) => [m, views[i]!] as const).filter(([m]) => m.chain !== "refused")
  if (live.length === 0) return { _tag: "None" }
  const comeBack = live.map(([m, v]) => (m.probing ? nowMs + PROBE_WAIT_MS : Math.max(m.setAsideUntilMs, v.pausedUntilMs)))
  return { _tag: "Wait", ms: Math.max(1, Math.min(...comeBack) - nowMs) }
}

/** An error's message without the URL it starts with (the log line names the URL already). */
export const reasonOf = (m: Member, message: string): string =>
  message.startsWith(m.where) ? message.slice(m.where.length).replace(/^:?\s*/, "") : message

/** Whether a URL other than `failed` could take the request now (else the retry waits its backoff). */
export const otherInService = (members: ReadonlyArray<Member>, viewOf: (m: Member) => GovernorView, nowMs: number, failed: Member): boolean =>
  members.some((m) => m !== failed && (inService(m, viewOf(m), nowMs) || probeDue(m, viewOf(m), nowMs)))

/** The time one answer took on the wire (not the wait for a permit), into the URL's typical latency. */
export const noteLatency = (m: Member, latencyMs: number): void => {
  m.latencyMs = m.latencyMs === 0 ? latencyMs : m.latencyMs + LATENCY_WEIGHT * (latencyMs - m.latencyMs)
}

/** A success readmits a URL set aside; returns a line to log when it does. */
export const recordSuccess = (m: Member, tuning: PoolTuning): string | undefined => {
  m.consecutiveFailures = 0
  if (m.setAsideUntilMs === 0) return undefined
  m.setAsideUntilMs = 0
  m.nextPauseMs = tuning.setAsideMs
  return `RPC ${m.where} answers again: back in the pool`
}

/**
 * A failure counts toward setting the URL aside; a failed probe sets it aside again for twice as long.
 * Returns a line to log when the URL is set aside.
 */
export const recordFailure = (m: Member, probe: boolean, nowMs: number, reason: string, tuning: PoolTuning): string | undefined => {
  m.failures += 1
  m.consecutiveFailures += 1
  if (probe) {
    m.setAsideUntilMs = nowMs + m.nextPauseMs
    const line = `RPC ${m.where} still failing (${reason}): set aside for ${pauseText(m.nextPauseMs)} more`
    m.nextPauseMs = Math.min(tuning.maxSetAsideMs, m.nextPauseMs * 2)
    return line
  }
  if (m.setAsideUntilMs !== 0 || m.consecutiveFailures < tuning.failuresToSetAside) return undefined
  return setAside(m, nowMs, `${m.consecutiveFailures} failure${m.consecutiveFailures === 1 ? "" : "s"} in a row, the last: ${reason}`, tuning)
}

const pauseText = (ms: number) => Duration.format(Duration.millis(ms))

/** Takes a URL out of service until its pause is over; returns the line to log. */
export const setAside = (m: Member, nowMs: number, why: string, tuning: PoolTuning): string => {
  m.setAsideUntilMs = nowMs + m.nextPauseMs
  const line = `RPC ${m.where} set aside for ${pauseText(m.nextPauseMs)} (${why}); it is tried again after that`
  m.nextPauseMs = Math.min(tuning.maxSetAsideMs, m.nextPauseMs * 2)
  return line
}
