import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { PermitPool } from "../../src/layers/permitPool.js"

describe("PermitPool (the governor's resizable permits)", () => {
  it.effect("hands permits to waiters in arrival order", () =>
    Effect.gen(function* () {
      const pool = new PermitPool(1)
      const gate = yield* Deferred.make<void>()
      const order: Array<number> = []
      const holder = yield* Effect.fork(pool.withPermit(Deferred.await(gate)))
      yield* Effect.yieldNow()
      const waiters = yield* Effect.forEach([1, 2, 3], (i) => Effect.fork(pool.withPermit(Effect.sync(() => order.push(i)))))
      yield* Effect.yieldNow()
      expect(order).toEqual([])
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      yield* Effect.forEach(waiters, Fiber.join)
      expect(order).toEqual([1, 2, 3])
      expect(pool.inUse).toBe(0)
    }))

  it.effect("grows at once and shrinks as permits come back", () =>
    Effect.gen(function* () {
      const pool = new PermitPool(1)
      const gate = yield* Deferred.make<void>()
      const fibers = yield* Effect.forEach(Array.from({ length: 4 }), () => Effect.fork(pool.withPermit(Deferred.await(gate))))
      yield* Effect.yieldNow()
      expect(pool.inUse).toBe(1)
      pool.resize(3)
      expect(pool.inUse).toBe(3)
      pool.resize(1)
      expect(pool.inUse).toBe(3)
      yield* Deferred.succeed(gate, undefined)
      yield* Effect.forEach(fibers, Fiber.join)
      expect(pool.inUse).toBe(0)
    }))

  it.effect("interrupted waiters and holders leak no permit", () =>
    Effect.gen(function* () {
      const pool = new PermitPool(2)
      const holders = yield* Effect.forEach([1, 2], () => Effect.fork(pool.withPermit(Effect.never)))
      const queued = yield* Effect.forEach([1, 2, 3], () => Effect.fork(pool.withPermit(Effect.never)))
      yield* Effect.yieldNow()
      expect(pool.inUse).toBe(2)
      yield* Fiber.interrupt(queued[1]!)
      yield* Effect.forEach(holders, Fiber.interrupt)
      // The two freed permits went to the two remaining waiters, in order.
      expect(pool.inUse).toBe(2)
      yield* Effect.forEach([queued[0]!, queued[2]!], Fiber.interrupt)
      expect(pool.inUse).toBe(0)
      const after = yield* pool.withPermit(Effect.succeed("ran"))
      expect(after).toBe("ran")
    }))
})
