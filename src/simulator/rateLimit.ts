import type { Family, RateLimitRule, RateSchedule } from "./config.js"

/**
 * Sliding-window limits as Cloudflare applies them: a request is accepted when every window that
 * covers it holds fewer than `limit` accepted requests in the last `windowMs`. Times are passed in
 * (the server reads them from Effect's Clock), so tests drive the windows with TestClock.
 */
class Window {
  private readonly times: Array<number> = []
  private head = 0
  constructor(readonly windowMs: number) {}
  private prune(now: number): void {
    while (this.head < this.times.length && this.times[this.head]! <= now - this.windowMs) this.head++
    if (this.head > 4096 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head)
      this.head = 0
    }
  }
  /** Milliseconds until a slot frees up under `limit`, or 0 when one is free now. */
  waitMs(now: number, limit: number): number {
    this.prune(now)
    const count = this.times.length - this.head
    if (count < limit) return 0
    if (limit <= 0) return this.windowMs
    return this.times[this.head + count - limit]! + this.windowMs - now
  }
  record(now: number): void {
    this.times.push(now)
  }
}

export interface RateDecision {
  readonly allowed: boolean
  readonly retryAfterMs: number
}

export class RateLimiter {
  private readonly rules: ReadonlyArray<{ readonly rule: RateLimitRule; readonly window: Window }>
  private readonly scheduled: Map<Family, Window>
  constructor(
    rules: ReadonlyArray<RateLimitRule>,
    private readonly schedule: RateSchedule | undefined,
    private readonly startedAtMs: number
  ) {
    this.rules = rules.map((rule) => ({ rule, window: new Window(rule.windowMs) }))
    this.scheduled = new Map((schedule?.families ?? []).map((f) => [f, new Window(schedule!.windowMs)]))
  }

  /** The scheduled limit in force at `now`, or undefined without a schedule. */
  scheduledLimit(now: number): number | undefined {
    if (this.schedule === undefined) return undefined
    const elapsed = now - this.startedAtMs
    let limit = this.schedule.steps[0]!.limit
    for (const step of this.schedule.steps) if (step.atMs <= elapsed) limit = step.limit
    return limit
  }

  check(family: Family, path: string, now: number): RateDecision {
    const applicable = this.rules.filter(
      ({ rule }) => rule.family === family && (rule.path === undefined || path === rule.path || path.startsWith(rule.path + "/"))
    )
    let wait = 0
    for (const { rule, window } of applicable) wait = Math.max(wait, window.waitMs(now, rule.limit))
    const sw = this.scheduled.get(family)
    const limit = this.scheduledLimit(now)
    if (sw !== undefined && limit !== undefined) wait = Math.max(wait, sw.waitMs(now, limit))
    if (wait > 0) return { allowed: false, retryAfterMs: wait }
    for (const { window } of applicable) window.record(now)
    sw?.record(now)
    return { allowed: true, retryAfterMs: 0 }
  }
}
