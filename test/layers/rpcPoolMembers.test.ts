import { describe, expect, it } from "@effect/vitest"
import type { GovernorView, PoolTuning } from "../../src/layers/rpcPool/members.js"
import { choose, Member, noteLatency, otherInService, recordFailure, recordSuccess } from "../../src/layers/rpcPool/members.js"

const tuning: PoolTuning = { failuresToSetAside: 3, setAsideMs: 1000, maxSetAsideMs: 4000 }
const open: GovernorView = { limit: 4, pausedUntilMs: 0 }
const make = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const m = new Member(i, `https://rpc${i}.example/v2/AbCdEf0123456789abcdef0123`, tuning)
    m.chain = "verified"
    return m
  })
const used = (c: ReturnType<typeof choose>) => (c._tag === "Use" ? [c.member.index, c.probe] : c._tag)

describe("choosing a URL of the pool", () => {
  it("keys each URL's governor entry by host and position, and never prints its key", () => {
    const [a] = make(1)
    expect(a!.key).toBe("rpc0.example#1")
    expect(a!.where).toBe("https://rpc0.example/v2/***")
  })

  it("the URL with the most room under its limit; another than the one that just failed", () => {
    const ms = make(2)
    ms[0]!.assigned = 3
    expect(used(choose(ms, () => open, 0))).toEqual([1, false])
    ms[0]!.assigned = 0
    expect(used(choose(ms, () => open, 0, ms[0]))).toEqual([1, false])
    // A larger limit takes more.
    ms[0]!.assigned = 2
    ms[1]!.assigned = 1
    expect(used(choose(ms, (m) => ({ limit: m.index === 0 ? 16 : 2, pausedUntilMs: 0 }), 0))).toEqual([0, false])
  })

  it("skips a URL paused by its Retry-After, and waits for the earliest to come back when none is left", () => {
    const ms = make(2)
    expect(used(choose(ms, (m) => ({ limit: 4, pausedUntilMs: m.index === 0 ? 500 : 0 }), 100))).toEqual([1, false])
    ms[1]!.setAsideUntilMs = 900
    expect(choose(ms, (m) => ({ limit: 4, pausedUntilMs: m.index === 0 ? 500 : 0 }), 100)).toEqual({ _tag: "Wait", ms: 400 })
    ms.forEach((m) => (m.chain = "refused"))
    expect(choose(ms, () => open, 100)).toEqual({ _tag: "None" })
  })

  it("sets a URL aside after consecutive failures, probes it once its pause is over (one probe at a time), readmits it on success", () => {
    const ms = make(2)
    const [a] = ms
    expect(recordFailure(a!, false, 0, "HTTP 503", tuning)).toBeUndefined()
    expect(recordFailure(a!, false, 0, "HTTP 503", tuning)).toBeUndefined()
    expect(recordFailure(a!, false, 10, "HTTP 503", tuning)).toContain("set aside for 1s (3 failures in a row, the last: HTTP 503)")
    expect(a!.setAsideUntilMs).toBe(1010)
    expect(used(choose(ms, () => open, 500))).toEqual([1, false])
    expect(otherInService(ms, () => open, 500, ms[1]!)).toBe(false)
    expect(used(choose(ms, () => open, 1010))).toEqual([0, true])
    a!.probing = true
    expect(used(choose(ms, () => open, 1010))).toEqual([1, false])
    // A failed probe: twice as long.
    a!.probing = false
    expect(recordFailure(a!, true, 1100, "timeout", tuning)).toContain("set aside for 2s more")
    expect(a!.setAsideUntilMs).toBe(3100)
    expect(recordSuccess(a!, tuning)).toContain("back in the pool")
    expect([a!.setAsideUntilMs, a!.consecutiveFailures, a!.nextPauseMs]).toEqual([0, 0, 1000])
  })

  it("a URL's latency is a moving average of its answers", () => {
    const [a] = make(1)
    noteLatency(a!, 100)
    expect(a!.latencyMs).toBe(100)
    noteLatency(a!, 200)
    expect(a!.latencyMs).toBe(120)
  })
})
