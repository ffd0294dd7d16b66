import { describe, expect, it, layer } from "@effect/vitest"
import { Context, Effect, Exit, Fiber, Layer, Schema, Scope, TestClock } from "effect"
import { layerAdaptivePersistent, loadSafeLimits, saveSafeLimits, splitHostKey } from "../../src/layers/GovernorLimitsStore.js"
import { MIGRATIONS } from "../../src/layers/migrations/index.js"
import { ClickHouse } from "../../src/services/ClickHouse.js"
import { Governor } from "../../src/services/Governor.js"
import { migrate } from "../../src/streams/migrate.js"
import { layerTestClickHouse } from "../support/clickhouse.js"

const Row = Schema.Struct({ host: Schema.String, endpoint: Schema.String, safe_limit: Schema.Union(Schema.Number, Schema.NumberFromString) })

describe("splitHostKey", () => {
  it("splits host/endpoint, and keeps only the host of a URL (provider keys live in paths)", () => {
    expect(splitHostKey("gamma-api.polymarket.com")).toEqual({ host: "gamma-api.polymarket.com", endpoint: "" })
    expect(splitHostKey("gamma-api.polymarket.com/markets")).toEqual({ host: "gamma-api.polymarket.com", endpoint: "/markets" })
    expect(splitHostKey("https://polygon-mainnet.g.alchemy.com/v2/abcdefghijklmnopqrstuvwxyz")).toEqual({ host: "polygon-mainnet.g.alchemy.com", endpoint: "" })
  })
})

/** One run: a governor from the store, busy on `host` for `seconds` of TestClock time, then released. */
const run = (host: string, seconds: number) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const context = yield* Layer.buildWithScope(layerAdaptivePersistent({ initial: 4, max: 32 }), scope)
    const api = Context.get(context, Governor)
    const first = yield* Effect.fork(api.withPermit(host, Effect.void))
    yield* TestClock.adjust("1 millis")
    yield* Fiber.join(first)
    const [start] = yield* api.snapshot
    const clients = yield* Effect.forEach(Array.from({ length: 32 }), () =>
      Effect.fork(Effect.forever(api.withPermit(host, Effect.sleep("1 second")))))
    yield* TestClock.adjust(`${seconds} seconds`)
    const [end] = yield* api.snapshot
    yield* Effect.forEach(clients, Fiber.interrupt)
    yield* Scope.close(scope, Exit.void)
    return { start: start!.limit, end: end!.limit }
  })

layer(layerTestClickHouse("governor"))("learned limits in governor_limits", (it) => {
  it.effect("round-trips by host and endpoint, the latest save winning", () =>
    Effect.gen(function* () {
      yield* migrate(MIGRATIONS, () => Effect.void)
      yield* saveSafeLimits([{ host: "a.example/markets", safeLimit: 12 }, { host: "b.example", safeLimit: 30 }])
      yield* TestClock.adjust("2 seconds")
      yield* saveSafeLimits([{ host: "a.example/markets", safeLimit: 18.7 }])
      const loaded = yield* loadSafeLimits
      expect(loaded.get("a.example\u0000/markets")).toBe(18)
      expect(loaded.get("b.example\u0000")).toBe(30)
    }))

  it.effect("a run saves the limit it reached safely and the next run starts from it", () =>
    Effect.gen(function* () {
      yield* migrate(MIGRATIONS, () => Effect.void)
      const first = yield* run("learned.example/trades", 20)
      expect(first.start).toBe(4)
      expect(first.end).toBeGreaterThan(16)
      const clickhouse = yield* ClickHouse
      const rows = yield* clickhouse.query("SELECT host, endpoint, safe_limit FROM governor_limits FINAL WHERE host = 'learned.example'", Row)
      expect(rows).toHaveLength(1)
      expect(rows[0]!.endpoint).toBe("/trades")
      expect(rows[0]!.safe_limit).toBeGreaterThan(10)
      const second = yield* run("learned.example/trades", 1)
      expect(second.start).toBe(rows[0]!.safe_limit)
      // Another endpoint of the same host learned nothing yet.
      const other = yield* run("learned.example/other", 1)
      expect(other.start).toBe(4)
    }))
})

layer(layerTestClickHouse("governor_nodb"))("learned limits without the table", (it) => {
  it.effect("a missing table only costs the memory: the governor still runs, cold", () =>
    Effect.gen(function* () {
      const result = yield* run("x.example", 1)
      expect(result.start).toBe(4)
    }))
})
