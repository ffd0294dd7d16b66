import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, TestClock } from "effect"
import { SourceError } from "../../src/domain/errors.js"
import { Governor } from "../../src/services/Governor.js"
import { layerFixed } from "../../src/layers/GovernorFixed.js"

const host = "api.example"

/** A request that takes `ms`, recording how many were running at once and when it started. */
const tracker = () => {
  let running = 0
  let peak = 0
  const starts: Array<number> = []
  const request = (ms: number) =>
    Effect.gen(function* () {
      starts.push(yield* Clock.currentTimeMillis)
      running += 1
      peak = Math.max(peak, running)
      yield* Effect.sleep(ms)
      running -= 1
    })
  return { request, starts, peak: () => peak }
}

const rateLimited = (retryAfterMs?: number) =>
  new SourceError({ reason: "RateLimited", host, message: "429", status: 429, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) })

describe("layerFixed", () => {
  it.effect("pins concurrency at N and does not move it on 429s", () =>
    Effect.gen(function* () {
      const governor = yield* Governor
      const t = tracker()
      const fibers = yield* Effect.forEach(Array.from({ length: 10 }), () => Effect.fork(governor.withPermit(host, t.request(1000))))
      yield* TestClock.adjust("1 millis")
      const [busy] = yield* governor.snapshot
      expect(busy).toMatchObject({ host, limit: 3, inFlight: 3, requests: 3 })
      yield* Effect.forEach(Array.from({ length: 5 }), () => Effect.either(governor.withPermit(host, Effect.fail(rateLimited()))), { concurrency: 1 }).pipe(Effect.fork)
      yield* TestClock.adjust("10 seconds")
      yield* Effect.forEach(fibers, Fiber.join)
      const [after] = yield* governor.snapshot
      expect(t.peak()).toBe(3)
      expect(after).toMatchObject({ limit: 3, inFlight: 0, requests: 15, rateLimited: 5 })
    }).pipe(Effect.provide(layerFixed(3))))

  it.effect("keeps one limit per host", () =>
    Effect.gen(function* () {
      const governor = yield* Governor
      const t = tracker()
      yield* Effect.fork(Effect.all([governor.withPermit("a.example", t.request(1000)), governor.withPermit("b.example", t.request(1000))], { concurrency: "unbounded" }))
      yield* TestClock.adjust("1 millis")
      expect(t.peak()).toBe(2)
    }).pipe(Effect.provide(layerFixed(1))))

  it.effect("Retry-After pauses the host: no request starts before the pause ends", () =>
    Effect.gen(function* () {
      const governor = yield* Governor
      const t = tracker()
      const failed = yield* Effect.either(governor.withPermit(host, Effect.fail(rateLimited(5000))))
      expect(failed._tag).toBe("Left")
      const waiting = yield* Effect.fork(governor.withPermit(host, t.request(10)))
      const [paused] = yield* governor.snapshot
      expect(paused!.pausedUntilMs).toBe(5000)
      yield* TestClock.adjust("4999 millis")
      expect(t.starts).toEqual([])
      yield* TestClock.adjust("1 millis")
      expect(t.starts).toEqual([5000])
      yield* TestClock.adjust("10 millis")
      yield* Fiber.join(waiting)
      // Another host is not paused.
      yield* governor.withPermit("other.example", t.request(0))
      expect(t.starts).toEqual([5000, 5010])
    }).pipe(Effect.provide(layerFixed(4))))

  it.effect("an exhausted RateLimit-Remaining waits for the reset", () =>
    Effect.gen(function* () {
      const governor = yield* Governor
      const t = tracker()
      yield* governor.withPermit(host, Effect.succeed("page"), () => ({ remaining: 1, resetMs: 3000 }))
      yield* governor.withPermit(host, t.request(0))
      const next = yield* Effect.fork(governor.withPermit(host, t.request(0)))
      yield* TestClock.adjust("2999 millis")
      expect(t.starts).toEqual([0])
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(next)
      expect(t.starts).toEqual([0, 3000])
    }).pipe(Effect.provide(layerFixed(4))))
})
