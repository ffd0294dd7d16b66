import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, TestClock } from "effect"
import { ClickHouseError } from "../../src/domain/errors.js"
import { layerMemory, MemoryTables, Power } from "../../src/layers/RowSinkMemory.js"
import type { MemorySinkHooks } from "../../src/layers/RowSinkMemory.js"
import { makeSink } from "../../src/streams/sink.js"
import type { SinkOptions } from "../../src/streams/sink.js"

const rows = (n: number, from = 0) => [{ table: "t", rows: Array.from({ length: n }, (_, i) => ({ id: from + i })) }]

/** Waits (under the TestClock) for forked fibers to run without moving time. */
const settle = Effect.gen(function* () {
  for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
})

const setup = (options: SinkOptions, hooks: MemorySinkHooks = {}) =>
  Effect.gen(function* () {
    const tables = new MemoryTables()
    const acked: Array<string> = []
    const sink = yield* makeSink<string, never>(options, (markers) => Effect.sync(() => void acked.push(...markers))).pipe(
      Effect.provide(layerMemory(tables, new Power(), hooks))
    )
    return { tables, acked, sink }
  })

describe("batching sink", () => {
  it.scoped("a partial batch is inserted after --flush-interval, not before", () =>
    Effect.gen(function* () {
      const { tables, acked, sink } = yield* setup({ batchSize: 100, flushInterval: "2 seconds" })
      yield* sink.offer(rows(10), "a")
      yield* TestClock.adjust("1 second")
      yield* sink.offer(rows(5, 10), "b")
      yield* TestClock.adjust("999 millis")
      yield* settle
      expect(tables.inserts).toBe(0)
      expect(acked).toEqual([])
      yield* TestClock.adjust("1 millis")
      yield* settle
      expect(tables.inserts).toBe(1)
      expect(tables.rowsOf("t")).toHaveLength(15)
      expect(acked).toEqual(["a", "b"])
    }))

  it.scoped("a full batch is inserted at once, in inserts of at most --batch-size rows", () =>
    Effect.gen(function* () {
      const { tables, acked, sink } = yield* setup({ batchSize: 100, flushInterval: "1 hour", maxBufferedRows: 1000 })
      yield* sink.offer(rows(60), "a")
      yield* settle
      expect(tables.inserts).toBe(0)
      yield* sink.offer(rows(190, 60), "b")
      yield* settle
      expect(tables.rowsOf("t")).toHaveLength(250)
      expect(tables.inserts).toBe(3)
      expect(acked).toEqual(["a", "b"])
    }))

  it.scoped("markers are acknowledged in order, only after their flush's inserts succeeded", () =>
    Effect.gen(function* () {
      const gates = [yield* Deferred.make<void>(), yield* Deferred.make<void>()]
      const { acked, sink } = yield* setup(
        { batchSize: 10, flushInterval: "1 hour", insertConcurrency: 2, maxBufferedRows: 100 },
        { beforeInsert: (_t, _r, n) => (n <= 2 ? Deferred.await(gates[n - 1]!) : Effect.void) }
      )
      yield* sink.offer(rows(10), "first")
      yield* settle
      yield* sink.offer(rows(10, 10), "second")
      yield* settle
      // The second flush's insert finishes first: its marker still waits for the first flush.
      yield* Deferred.succeed(gates[1]!, undefined)
      yield* settle
      expect(acked).toEqual([])
      yield* Deferred.succeed(gates[0]!, undefined)
      yield* settle
      expect(acked).toEqual(["first", "second"])
    }))

  it.scoped("offer waits while the buffer is full (back-pressure) and resumes after a flush", () =>
    Effect.gen(function* () {
      const gate = yield* Deferred.make<void>()
      const { sink } = yield* setup(
        { batchSize: 10, flushInterval: "1 hour", maxBufferedRows: 20, insertConcurrency: 1 },
        { beforeInsert: () => Deferred.await(gate) }
      )
      yield* sink.offer(rows(10), "a")
      yield* sink.offer(rows(10, 10), "b")
      const third = yield* Effect.fork(sink.offer(rows(10, 20), "c"))
      yield* settle
      expect(third.unsafePoll()).toBeNull()
      yield* Deferred.succeed(gate, undefined)
      yield* settle
      expect(Exit.isSuccess((yield* Fiber.await(third)))).toBe(true)
    }))

  it.scoped("flush waits for what is buffered to be acknowledged", () =>
    Effect.gen(function* () {
      const { tables, acked, sink } = yield* setup({ batchSize: 100, flushInterval: "1 hour" })
      yield* sink.offer(rows(3), "a")
      yield* sink.flush
      expect(tables.rowsOf("t")).toHaveLength(3)
      expect(acked).toEqual(["a"])
    }))

  it.scoped("a refused insert stops the sink: nothing after it is acknowledged", () =>
    Effect.gen(function* () {
      const { acked, sink } = yield* setup(
        { batchSize: 10, flushInterval: "1 hour" },
        { beforeInsert: () => Effect.fail(new ClickHouseError({ reason: "Query", message: "Table polymarket.t doesn't exist" })) }
      )
      yield* sink.offer(rows(10), "a")
      const exit = yield* Effect.exit(sink.flush)
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(JSON.stringify(exit))).toContain("doesn't exist")
      expect(acked).toEqual([])
      expect(Exit.isFailure(yield* Effect.exit(sink.offer(rows(1), "b")))).toBe(true)
    }))

  it.scoped("an unreachable ClickHouse is retried with backoff until it answers", () =>
    Effect.gen(function* () {
      let calls = 0
      const { tables, acked, sink } = yield* setup(
        { batchSize: 10, flushInterval: "1 hour" },
        {
          beforeInsert: () =>
            ++calls <= 3 ? Effect.fail(new ClickHouseError({ reason: "Unreachable", message: "ClickHouse at http://127.0.0.1:1 is unreachable" })) : Effect.void
        }
      )
      yield* sink.offer(rows(10), "a")
      yield* settle
      expect(calls).toBe(1)
      yield* TestClock.adjust("499 millis")
      yield* settle
      expect(calls).toBe(1)
      yield* TestClock.adjust("1 millis")
      yield* settle
      expect(calls).toBe(2)
      yield* TestClock.adjust("3 seconds")
      yield* settle
      expect(calls).toBe(4)
      expect(tables.rowsOf("t")).toHaveLength(10)
      expect(acked).toEqual(["a"])
    }))
})

