import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Stream } from "effect"
import { decodeGammaMarket, toMarketRows } from "../../../src/domain/gamma.js"
import { MIGRATIONS } from "../../../src/layers/migrations/index.js"
import { layerClickHouse as layerUnitsClickHouse } from "../../../src/layers/UnitStoreClickHouse.js"
import { ClickHouse } from "../../../src/services/ClickHouse.js"
import { UnitStore } from "../../../src/services/UnitStore.js"
import { fillsJob, planFills } from "../../../src/streams/jobs/fills.js"
import { migrate } from "../../../src/streams/migrate.js"
import type { Job } from "../../../src/streams/Job.js"
import { PlanFailed, planJob } from "../../../src/streams/plan.js"
import { layerTestClickHouse } from "../../support/clickhouse.js"
import { market, TOKEN_A, TOKEN_B } from "../../domain/gammaFixture.js"

const rowsFor = (over: Record<string, unknown>, updatedAt: number) => toMarketRows(Either.getOrThrow(decodeGammaMarket({ ...market, ...over })), updatedAt)

describe("fills plan from the real ClickHouse", () => {
  it.scoped("one unit per market with its tokens in outcome order, read FINAL, with the market's trading window as its span", () =>
    Effect.gen(function* () {
      const ch = yield* ClickHouse
      yield* migrate(MIGRATIONS, () => Effect.void)
      const resolved = rowsFor({ startDate: "2026-04-01T00:00:00Z" }, 100)
      const open = rowsFor(
        { id: "2", conditionId: "0x" + "b".repeat(64), clobTokenIds: JSON.stringify(["11", "22"]), closed: false, umaResolutionStatus: undefined, closedTime: undefined, startDate: "2026-05-01T00:00:00Z" },
        100
      )
      // An older version of a token row, mapped to the wrong market: FINAL keeps the newest.
      const stale = { ...resolved.tokens[0]!, condition_id: "0x" + "e".repeat(64), updated_at: 50 }
      yield* ch.insert("markets", [resolved.market, open.market].map((m) => ({ ...m })))
      yield* ch.insert("market_tokens", [{ ...stale }])
      yield* ch.insert("market_tokens", [...resolved.tokens, ...open.tokens].map((t) => ({ ...t })))

      const units = [...(yield* planFills)].sort((a, b) => (a.unitKey < b.unitKey ? -1 : 1))
      expect(units.map((u) => u.unitKey)).toEqual(["0x" + "a".repeat(64), "0x" + "b".repeat(64)])
      expect(JSON.parse(units[0]!.payload)).toEqual({
        conditionId: "0x" + "a".repeat(64),
        tokenIds: [TOKEN_A, TOKEN_B],
        from: Date.UTC(2026, 3, 1) / 1000,
        to: Date.UTC(2026, 6, 7, 21, 25, 17) / 1000
      })
      expect(JSON.parse(units[1]!.payload)).toMatchObject({ tokenIds: ["11", "22"] })
      expect(fillsJob.span!(units[0]!)).toEqual({ from: Date.UTC(2026, 3, 1) / 1000, to: Date.UTC(2026, 6, 7, 21, 25, 17) / 1000 })
      // Still open: no end yet.
      expect(fillsJob.span!(units[1]!)).toEqual({ from: Date.UTC(2026, 4, 1) / 1000, to: Number.MAX_SAFE_INTEGER })
      // A unit planned without dates is kept by any --since/--until.
      expect(fillsJob.span!({ unitKey: "old", payload: JSON.stringify({ conditionId: "0x1", tokenIds: ["1"] }) })).toBeUndefined()
    }).pipe(Effect.provide(layerTestClickHouse("fills_plan"))))

  it.scoped("with no markets loaded, planning fills fails with one line saying to run markets, and plans nothing", () =>
    Effect.gen(function* () {
      const ch = yield* ClickHouse
      const store = yield* UnitStore
      // The fills job as planning sees it: its plan reads ClickHouse only, so no subgraph is needed.
      const { name, description, tables } = fillsJob
      const fillsPlanning: Job<ClickHouse> = { name, description, tables, plan: planFills, fetch: () => Stream.die("planning fetches nothing") }
      const error = yield* Effect.flip(planJob(fillsPlanning, { rebuild: false }))
      expect(error).toEqual(
        new PlanFailed({
          job: "fills",
          message: `no markets in ${ch.database} to plan fills from: run \`polybackfill run markets\` first (after \`polybackfill plan markets\`)`
        })
      )
      expect(yield* store.load("fills")).toEqual([])
    }).pipe(
      Effect.provide(
        Layer.provideMerge(
          layerUnitsClickHouse,
          Layer.tap(layerTestClickHouse("fills_plan_empty"), (ctx) => migrate(MIGRATIONS, () => Effect.void).pipe(Effect.provide(ctx)))
        )
      )
    ))
})
