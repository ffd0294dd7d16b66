import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Option } from "effect"
import { DEFAULT_REQUEST_POLICY, RequestPolicy } from "../../../src/services/RequestPolicy.js"
import { fillTruthsOfMarket, marketInfo, marketTruth, profileKnobs } from "../../../src/simulator/index.js"
import { fillsFetcher } from "../../../src/streams/jobs/fills.js"
import { marketsJob } from "../../../src/streams/jobs/markets.js"
import { useSimulator } from "../../simulator/support.js"
import { byKey, drop, fetchAll, layerSimSources, rowsOf } from "./support.js"

describe("jobs against a faulty, rate-limited simulator", () => {
  const ctx = useSimulator({
    world: { seed: 21, markets: 40, wallets: 20, from: "2026-04-10", to: "2026-04-27", fills: 1500 },
    knobs: {
      ...profileKnobs("none"),
      faults: { ...profileKnobs("none").faults, errorRate: 0.15, truncatedRate: 0.1 },
      rateLimits: [
        { family: "gamma", limit: 15, windowMs: 1000 },
        { family: "goldsky", limit: 15, windowMs: 1000 }
      ]
    }
  })
  // Short backoffs keep the test quick; the waits themselves are tested with TestClock in test/layers/http.
  const policy = Effect.provideService(RequestPolicy, { ...DEFAULT_REQUEST_POLICY, baseBackoff: Duration.millis(5), maxBackoff: Duration.millis(200), maxAttempts: 30 })

  it.live("5xx, cut bodies and 429s are retried away: the rows still equal the ground truth", () =>
    Effect.gen(function* () {
      const world = ctx.sim.world
      const markets = (yield* Effect.forEach(["closed", "open"], (k) => fetchAll(marketsJob, k, JSON.stringify({ closed: k === "closed" })))).flat()
      const expected = Array.from({ length: world.marketCount }, (_, i) => marketTruth(world, i).market)
      expect(rowsOf(markets, "markets").map((r) => drop(r, "updated_at")).sort(byKey("condition_id"))).toEqual(expected.sort(byKey("condition_id")))

      const job = { fetch: fillsFetcher({ pageSize: 20 }) }
      const withFills = Array.from({ length: world.marketCount }, (_, i) => i).filter((i) => fillTruthsOfMarket(world, i, "goldsky").length > 20).slice(0, 4)
      expect(withFills.length).toBeGreaterThan(0)
      for (const i of withFills) {
        const info = marketInfo(world, i)
        const pages = yield* fetchAll(job, info.conditionId, JSON.stringify({ conditionId: info.conditionId, tokenIds: info.tokenIds }))
        const got = rowsOf(pages, "clob_fills").map((r) => drop(r, "ingested_at"))
        expect(got.sort(byKey("fill_id"))).toEqual([...fillTruthsOfMarket(world, i, "goldsky")].sort(byKey("fill_id")))
      }
      // The faults did happen, on both sources.
      const stats = (yield* Effect.promise(() => fetch(ctx.sim.statsUrl).then((r) => r.json()))) as { totals: Record<string, number> }
      expect(stats.totals["errors"]).toBeGreaterThan(0)
      expect(stats.totals["truncated"]).toBeGreaterThan(0)
      expect(stats.totals["rateLimited"]).toBeGreaterThan(0)
    }).pipe(policy, Effect.provide(layerSimSources(() => ctx.sim))), 60_000)

  it.live("a query the subgraph refuses (first > 1000) fails the unit at once with the GraphQL message", () =>
    Effect.gen(function* () {
      const info = marketInfo(ctx.sim.world, 0)
      const exit = yield* Effect.exit(
        fetchAll({ fetch: fillsFetcher({ pageSize: 5000 }) }, info.conditionId, JSON.stringify({ conditionId: info.conditionId, tokenIds: info.tokenIds }))
      )
      const error = Exit.isFailure(exit) ? Option.getOrThrow(Cause.failureOption(exit.cause)) : expect.fail("expected a failure")
      expect(error.reason).toBe("Fatal")
      expect(error.message).toMatch(/GraphQL error: The `first` argument must be between 0 and 1000/)
    }).pipe(policy, Effect.provide(layerSimSources(() => ctx.sim))))
})
