import { describe, expect, it } from "vitest"
import type { AimdConfig, AimdState } from "../../src/domain/aimd.js"
import { ceilingOf, defaultAimdConfig, initialState, latencyInflated, onCongestion, onSuccess, permitsOf, recordLatency, sustainedConcurrency } from "../../src/domain/aimd.js"

const config: AimdConfig = { ...defaultAimdConfig, min: 2, max: 64 }

/** Feeds `perSecond` successes a second for `seconds`, each with `latencyMs`, at full use of the limit. */
const healthy = (state: AimdState, fromMs: number, seconds: number, opts: { perSecond?: number; latencyMs?: number; busy?: boolean } = {}) => {
  const perSecond = opts.perSecond ?? 20
  let s = state
  for (let i = 1; i <= seconds * perSecond; i++) {
    const inFlight = opts.busy === false ? 1 : permitsOf(s.limit)
    s = onSuccess(config, s, { nowMs: fromMs + (i * 1000) / perSecond, generation: s.generation, latencyMs: opts.latencyMs ?? 100, inFlight })
  }
  return s
}

describe("aimd", () => {
  it("grows while busy and healthy, by about growthPerSecond + growthProportion x limit a second", () => {
    const s = healthy(initialState(config, 10, 0), 0, 10)
    // 10 s of dL/dt = 1 + 0.05 L from 10: (10 + 20) e^0.5 - 20 = 29.5
    expect(s.limit).toBeGreaterThan(28)
    expect(s.limit).toBeLessThan(31)
  })

  it("does not grow while the limit is mostly idle: an unused limit proves nothing", () => {
    const s = healthy(initialState(config, 10, 0), 0, 10, { busy: false })
    expect(s.limit).toBe(10)
  })

  it("never grows past max nor is cut below min", () => {
    expect(healthy(initialState(config, 60, 0), 0, 30).limit).toBe(64)
    let s = initialState(config, 3, 0)
    for (let i = 0; i < 10; i++) s = onCongestion(config, s, { nowMs: i, generation: s.generation, kind: "Timeout" })
    expect(s.limit).toBe(2)
    expect(initialState(config, 1000, 0).limit).toBe(64)
  })

  it("cuts multiplicatively once per generation: requests already in flight do not cut again", () => {
    const s0 = initialState(config, 40, 0)
    const s1 = onCongestion(config, s0, { nowMs: 10, generation: 0, kind: "Overloaded" })
    expect(s1.limit).toBeCloseTo(28)
    const stale = onCongestion(config, s1, { nowMs: 11, generation: 0, kind: "RateLimited" })
    expect(stale).toBe(s1)
    const s2 = onCongestion(config, s1, { nowMs: 12, generation: s1.generation, kind: "RateLimited" })
    expect(s2.limit).toBeCloseTo(19.6)
  })

  it("holds after a cut before growing again", () => {
    const cut = onCongestion(config, initialState(config, 20, 0), { nowMs: 1000, generation: 0, kind: "Timeout" })
    expect(cut.limit).toBeCloseTo(14)
    const held = healthy(cut, 1000, 1.5)
    expect(held.limit).toBe(cut.limit)
    expect(healthy(held, 2500, 2).limit).toBeGreaterThan(cut.limit)
  })

  it("on a 429 after a burst, settles near what the host sustained (Little's law), not just 0.7 x limit", () => {
    // 400 successes in the last 10 s at 100 ms: about 4 concurrent requests were sustained.
    let s = initialState(config, 60, 0)
    s = healthy(s, 0, 10, { perSecond: 40 })
    s = { ...s, limit: 60 }
    expect(sustainedConcurrency(config, s, 10_000)).toBeCloseTo(4, 0)
    const cut = onCongestion(config, s, { nowMs: 10_000, generation: s.generation, kind: "RateLimited" })
    // 0.9 x 4 = 3.6 would be below a quarter of 60: one step stops at 15.
    expect(cut.limit).toBe(15)
  })

  it("cuts on 503s and timeouts only when they are a real share of answers, not a stray one", () => {
    const s = healthy(initialState(config, 40, 0), 0, 10)
    const stray = onCongestion(config, s, { nowMs: 10_000, generation: s.generation, kind: "Timeout" })
    expect(stray.limit).toBe(s.limit)
    let overloaded = stray
    for (let i = 0; i < 10; i++) overloaded = onCongestion(config, overloaded, { nowMs: 10_000 + i, generation: s.generation, kind: "Overloaded" })
    expect(overloaded.limit).toBeCloseTo(s.limit * 0.7)
    expect(overloaded.generation).toBe(s.generation + 1)
    // From a cold start, the first answers weigh fully: a first timeout is a real share.
    const cold = onCongestion(config, initialState(config, 10, 0), { nowMs: 1, generation: 0, kind: "Timeout" })
    expect(cold.limit).toBeCloseTo(7)
  })

  it("treats latency well above its recent minimum as congestion, but not ordinary jitter", () => {
    let stats = initialState(config, 10, 0).latency
    // 20 s of answers between 50 and 150 ms, 20 a second.
    for (let i = 0; i < 400; i++) stats = recordLatency(stats, 50 + ((i * 37) % 100), i * 50)
    expect(latencyInflated(config, stats, 150)).toBe(false)
    // One slow second (a stalled event loop) is not a trend...
    for (let i = 0; i < 20; i++) stats = recordLatency(stats, 400, 20_000 + i * 50)
    stats = recordLatency(stats, 100, 21_000)
    expect(latencyInflated(config, stats, 400)).toBe(false)
    // ...two in a row are.
    for (let i = 0; i < 40; i++) stats = recordLatency(stats, 400, 21_050 + i * 50)
    stats = recordLatency(stats, 400, 23_000)
    expect(latencyInflated(config, stats, 400)).toBe(true)
    expect(latencyInflated(config, stats, 90)).toBe(false)

    const warm = healthy(initialState(config, 20, 0), 0, 5, { latencyMs: 100 })
    const slow = healthy(warm, 5000, 5, { latencyMs: 500 })
    const control = healthy(warm, 5000, 5, { latencyMs: 100 })
    expect(slow.generation).toBe(1)
    expect(control.generation).toBe(0)
    expect(slow.limit).toBeLessThan(control.limit * 0.9)
  })

  it("counts a limit as safe once held without congestion for settleMs, and lowers it on a cut", () => {
    let s = healthy(initialState(config, 10, 0), 0, 5)
    expect(s.safeLimit).toBe(10)
    s = healthy(s, 5000, 10)
    // Safe is what held through the last 10 s, not the newest (still unproven) limit.
    expect(s.safeLimit).toBeGreaterThanOrEqual(18)
    expect(s.safeLimit).toBeLessThan(Math.floor(s.limit) - 5)
    const cut = onCongestion(config, s, { nowMs: 15_000, generation: s.generation, kind: "RateLimited" })
    expect(cut.limit).toBeLessThan(s.limit)
    expect(cut.safeLimit).toBe(permitsOf(cut.limit))
  })

  it("a learned limit starts as a ceiling: held until probeHoldMs, then probed", () => {
    const start = initialState(config, 20, 0, true)
    const held = healthy(start, 0, 15)
    expect(held.limit).toBe(20)
    expect(healthy(held, 15_000, 10).limit).toBeGreaterThan(25)
  })

  it("after a 429 the ceiling is the rate the host allowed: slower answers allow more in flight", () => {
    // 40 in flight at 100 ms sustain 400/s; the window refuses more.
    let s = initialState(config, 44, 0)
    for (let i = 1; i <= 4000; i++) s = onSuccess(config, s, { nowMs: i * 2.5, generation: 0, latencyMs: 100, inFlight: 44 })
    const cut = onCongestion(config, s, { nowMs: 10_000, generation: 0, kind: "RateLimited" })
    expect(ceilingOf(cut)).toBeCloseTo(40, 0)
    expect(cut.limit).toBeCloseTo(40 * config.headroom, 0)
    // The same 400/s with answers taking 150 ms (a busy client) is 60 in flight.
    let slower = cut
    for (let i = 1; i <= 4000; i++) slower = onSuccess(config, slower, { nowMs: 10_000 + i * 2.5, generation: 1, latencyMs: 150, inFlight: 40 })
    expect(ceilingOf(slower)).toBeGreaterThan(55)
  })
})
