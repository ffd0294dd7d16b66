import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Stream } from "effect"
import { layerFixed } from "../../../src/layers/GovernorFixed.js"
import { fillTruthsOfMarket, marketInfo, marketTruth } from "../../../src/simulator/index.js"
import { Sources } from "../../../src/services/Sources.js"
import type { Job, Page } from "../../../src/streams/Job.js"
import type { HttpJobEnv } from "../../../src/streams/jobs/env.js"
import { fillsJob as fillsJobWithPlan } from "../../../src/streams/jobs/fills.js"
import { marketsJob } from "../../../src/streams/jobs/markets.js"
import { SMALL_WORLD, useSimulator } from "../../simulator/support.js"

// Fetching needs no ClickHouse (only planning reads market_tokens).
const fillsJob = fillsJobWithPlan as unknown as Job<HttpJobEnv>

const drop = <T extends Record<string, unknown>>(row: T, key: string) => {
  const { [key]: _, ...rest } = row
  return rest
}
const rowsOf = (pages: ReadonlyArray<Page>, table: string) => pages.flatMap((p) => p.rows.filter((r) => r.table === table).flatMap((r) => r.rows))

describe("jobs against the simulator over real HTTP", () => {
  const ctx = useSimulator({ world: SMALL_WORLD })
  const env = () =>
    Layer.mergeAll(
      FetchHttpClient.layer,
      layerFixed(8),
      Layer.succeed(Sources, { gamma: ctx.sim.gammaUrl, dataApi: ctx.sim.dataApiUrl, goldsky: ctx.sim.goldskyUrl, rpc: [ctx.sim.rpcUrl] })
    )
  const fetchAll = <R>(job: Job<R>, unitKey: string, payload: string) =>
    job.fetch({ unitKey, payload, cursor: "" }).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))

  it.live("markets: both units together give exactly the catalogue, each market once", () =>
    Effect.gen(function* () {
      const units = yield* marketsJob.plan
      expect(units.map((u) => u.unitKey)).toEqual(["closed", "open"])
      const pages = (yield* Effect.forEach(units, (u) => fetchAll(marketsJob, u.unitKey, u.payload))).flat()
      const world = ctx.sim.world
      const expected = Array.from({ length: world.marketCount }, (_, i) => marketTruth(world, i))
      const markets = rowsOf(pages, "markets").map((r) => drop(r, "updated_at"))
      const tokens = rowsOf(pages, "market_tokens").map((r) => drop(r, "updated_at"))
      const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => String(a.condition_id).localeCompare(String(b.condition_id))
      expect(markets.sort(byId)).toEqual(expected.map((e) => e.market).sort(byId))
      expect(tokens).toHaveLength(expected.flatMap((e) => e.tokens).length)
      expect(pages.flatMap((p) => p.quarantine)).toEqual([])
    }).pipe(Effect.provide(env())))

  it.live("fills: the sticky cursor pages a market's V1 fills exactly, with derived side, price and taker leg", () =>
    Effect.gen(function* () {
      const world = ctx.sim.world
      let checked = 0
      for (let i = 0; i < world.marketCount && checked < 6; i++) {
        const truth = fillTruthsOfMarket(world, i, "goldsky")
        if (truth.length === 0) continue
        checked++
        const info = marketInfo(world, i)
        const pages = yield* fetchAll(fillsJob, info.conditionId, JSON.stringify({ conditionId: info.conditionId, tokenIds: info.tokenIds }))
        const got = rowsOf(pages, "clob_fills").map((r) => drop(r, "ingested_at"))
        const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => String(a.fill_id).localeCompare(String(b.fill_id))
        expect(got.sort(byId)).toEqual([...truth].sort(byId))
      }
      expect(checked).toBe(6)
    }).pipe(Effect.provide(env())))

  it.live("fills: a market with no fills is one empty page, not an error", () =>
    Effect.gen(function* () {
      const world = ctx.sim.world
      const i = Array.from({ length: world.marketCount }, (_, k) => k).find((k) => fillTruthsOfMarket(world, k, "goldsky").length === 0)!
      const info = marketInfo(world, i)
      const pages = yield* fetchAll(fillsJob, info.conditionId, JSON.stringify({ conditionId: info.conditionId, tokenIds: info.tokenIds }))
      expect(pages).toHaveLength(1)
      expect(rowsOf(pages, "clob_fills")).toEqual([])
    }).pipe(Effect.provide(env())))
})
