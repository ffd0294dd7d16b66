import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, TestClock } from "effect"
import { defaultAimdConfig } from "../../src/domain/aimd.js"
import { SourceError } from "../../src/domain/errors.js"
import type { RateLimitHint } from "../../src/domain/rateLimitHeaders.js"
import { layerAdaptive } from "../../src/layers/GovernorAdaptive.js"
import { Governor } from "../../src/services/Governor.js"

const host = "api.example"

/** Runs `clients` loops of governed requests (each `ms` long, answered by `answer`), tracking concurrency. */
const load = (clients: number, ms: number, answer: (n: number) => Effect.Effect<RateLimitHint | undefined, SourceError> = () => Effect.succeed(undefined)) =>
  Effect.gen(function* () {
    const governor = yield* Governor
    const state = { running: 0, peak: 0, count: 0, starts: [] as Array<number> }
    const one = governor.withPermit(
      host,
      Effect.gen(function* () {
        state.starts.push(yield* Clock.currentTimeMillis)
        state.running += 1
        state.peak = Math.max(state.peak, state.running)
        // The server decides on arrival; the answer comes back after the latency.
        const outcome = yield* Effect.either(answer(state.count++))
        yield* Effect.sleep(ms)
        state.running -= 1
        return yield* outcome
      }).pipe(Effect.onInterrupt(() => Effect.sync(() => { state.running -= 1 }))),
      (hint) => hint
    )
    const fibers = yield* Effect.forEach(Array.from({ length: clients }), () => Effect.fork(Effect.forever(Effect.either(one))))
    const limit = Effect.map(governor.snapshot, (s) => s.find((h) => h.host === host)?.limit ?? 0)
    const stop = Effect.forEach(fibers, Fiber.interrupt, { discard: true })
    const resetPeak = Effect.sync(() => { state.peak = state.running })
    return { state, limit, stop, resetPeak }
  })

const tooMany = (retryAfterMs?: number) =>
  new SourceError({ reason: "RateLimited", host, message: "429", status: 429, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) })

describe("layerAdaptive", () => {
  it.effect("raises the limit while responses are healthy and the limit is in use", () =>
    Effect.gen(function* () {
      const l = yield* load(64, 1000)
      yield* TestClock.adjust("1 millis")
      expect(yield* l.limit).toBe(4)
      expect(l.state.peak).toBe(4)
      yield* TestClock.adjust("20 seconds")
      const grown = yield* l.limit
      expect(grown).toBeGreaterThan(30)
      expect(l.state.peak).toBe(grown)
      yield* l.stop
    }).pipe(Effect.provide(layerAdaptive({ initial: 4, max: 64 }))))

  it.effect("does not raise a limit that is not in use", () =>
    Effect.gen(function* () {
      const l = yield* load(2, 1000)
      yield* TestClock.adjust("30 seconds")
      expect(yield* l.limit).toBe(8)
      yield* l.stop
    }).pipe(Effect.provide(layerAdaptive({ initial: 8 }))))

  it.effect("cuts the limit on 429s to just under what the host sustained, once for the requests already in flight", () =>
    Effect.gen(function* () {
      let fail = false
      const l = yield* load(40, 1000, () => (fail ? Effect.fail(tooMany()) : Effect.succeed(undefined)))
      yield* TestClock.adjust("20500 millis")
      const before = yield* l.limit
      // Every request that arrives in the next second is refused (answers come a second later).
      fail = true
      yield* TestClock.adjust("1 second")
      fail = false
      yield* TestClock.adjust("1 second")
      const after = yield* l.limit
      // 32 requests of 1 s in flight sustain 32 concurrent: the cut lands just under that, once.
      expect(after).toBe(Math.floor(before * defaultAimdConfig.headroom))
      expect(after).toBeLessThan(before)
      const [snap] = yield* (yield* Governor).snapshot
      expect(snap!.rateLimited).toBe(before)
      yield* l.resetPeak
      yield* TestClock.adjust("400 millis")
      expect(l.state.peak).toBeLessThanOrEqual(after)
      yield* l.stop
    }).pipe(Effect.provide(layerAdaptive({ initial: 16, max: 32 }))))

  it.effect("stays within max, and repeated 429s stop at min", () =>
    Effect.gen(function* () {
      let fail = false
      const l = yield* load(32, 1000, () => (fail ? Effect.fail(tooMany()) : Effect.succeed(undefined)))
      yield* TestClock.adjust("30 seconds")
      expect(yield* l.limit).toBe(6)
      expect(l.state.peak).toBe(6)
      fail = true
      yield* TestClock.adjust("10 seconds")
      expect(yield* l.limit).toBe(2)
      yield* l.resetPeak
      yield* TestClock.adjust("3 seconds")
      expect(l.state.peak).toBe(2)
      yield* l.stop
    }).pipe(Effect.provide(layerAdaptive({ initial: 4, min: 2, max: 6 }))))

  it.effect("a Retry-After pauses the whole host: no request starts before it ends", () =>
    Effect.gen(function* () {
      const l = yield* load(8, 100, (n) => (n === 20 ? Effect.fail(tooMany(5000)) : Effect.succeed(undefined)))
      yield* TestClock.adjust("1 second")
      const at429 = l.state.starts[20]! + 100
      expect(l.state.starts.filter((t) => t > at429 && t < at429 + 5000)).toEqual([])
      yield* TestClock.adjust("5 seconds")
      expect(l.state.starts.filter((t) => t >= at429 + 5000).length).toBeGreaterThan(0)
      const [snap] = yield* (yield* Governor).snapshot
      expect(snap!.rateLimited).toBe(1)
      yield* l.stop
    }).pipe(Effect.provide(layerAdaptive({ initial: 4 }))))

  it.effect("after a Retry-After pause, extra permits catch up for as long as the pause lasted", () =>
    Effect.gen(function* () {
      const l = yield* load(32, 1000, (n) => (n === 8 ? Effect.fail(tooMany(3000)) : Effect.succeed(undefined)))
      yield* TestClock.adjust("1 millis")
      expect(l.state.peak).toBe(8)
      // Request 8 started at 1 s and is refused at 2 s: no start until 5 s.
      yield* TestClock.adjust("2 seconds")
      const limit = yield* l.limit
      yield* l.resetPeak
      yield* TestClock.adjust("2999 millis")
      expect(l.state.starts.filter((t) => t > 2000 && t < 5000)).toEqual([])
      yield* TestClock.adjust("1 millis")
      expect(l.state.peak).toBe(limit + Math.ceil(limit * 0.5))
      // The burst lasts as long as the pause (3 s), then the limit alone rules again.
      yield* TestClock.adjust("3 seconds")
      yield* l.resetPeak
      yield* TestClock.adjust("1 second")
      expect(l.state.peak).toBeLessThanOrEqual(yield* l.limit)
      yield* l.stop
    }).pipe(Effect.provide(layerAdaptive({ initial: 8 }))))

  it.effect("the rps ceiling spaces request starts", () =>
    Effect.gen(function* () {
      const l = yield* load(16, 10)
      yield* TestClock.adjust("2 seconds")
      expect(l.state.starts.slice(0, 5)).toEqual([0, 200, 400, 600, 800])
      expect(l.state.starts.length).toBe(11)
      yield* l.stop
    }).pipe(Effect.provide(layerAdaptive({ initial: 8, rps: 5 }))))

  it.effect("announced quotas are obeyed instead of guessed: the host waits for the reset and keeps its limit", () =>
    Effect.gen(function* () {
      // A fixed window of 30 requests per 10 s, counted at arrival and announced in RateLimit-* headers.
      const window = { index: -1, used: 0 }
      const answer = () =>
        Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<RateLimitHint, SourceError> => {
          const index = Math.floor(now / 10_000)
          if (index !== window.index) Object.assign(window, { index, used: 0 })
          window.used += 1
          const resetMs = (index + 1) * 10_000 - now - 100
          return window.used > 30
            ? Effect.fail(tooMany())
            : Effect.succeed({ limit: 30, remaining: 30 - window.used, resetMs })
        })
      const l = yield* load(16, 100, answer)
      yield* TestClock.adjust("30 seconds")
      const perWindow = [0, 1, 2].map((w) => l.state.starts.filter((t) => t >= w * 10_000 && t < (w + 1) * 10_000).length)
      expect(perWindow).toEqual([30, 30, 30])
      const [snap] = yield* (yield* Governor).snapshot
      expect(snap!.rateLimited).toBe(0)
      expect(snap!.limit).toBeGreaterThanOrEqual(8)
      yield* l.stop
    }).pipe(Effect.provide(layerAdaptive({ initial: 8 }))))

  it.effect("a learned limit replaces the cold start for its host", () =>
    Effect.gen(function* () {
      const governor = yield* Governor
      yield* governor.withPermit(host, Effect.void)
      yield* governor.withPermit("new.example", Effect.void)
      const snaps = yield* governor.snapshot
      expect(snaps.map((s) => [s.host, s.limit])).toEqual([[host, 40], ["new.example", 8]])
    }).pipe(Effect.provide(layerAdaptive({ initial: 8, initialLimitOf: (h) => (h === host ? 40 : undefined) }))))
})
