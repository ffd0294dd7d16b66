import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { DAY_S, dayOf } from "../../src/domain/chainDays.js"
import { coverageMarkdown, growthOf } from "../../src/domain/tradesCoverage.js"
import { newUnit } from "../../src/domain/units.js"
import { MIGRATIONS } from "../../src/layers/migrations/index.js"
import { layerClickHouse as layerUnitsClickHouse } from "../../src/layers/UnitStoreClickHouse.js"
import { ClickHouse } from "../../src/services/ClickHouse.js"
import { UnitStore } from "../../src/services/UnitStore.js"
import { externalTradeTruthsOfWallet, resolveWorld, walletAddress } from "../../src/simulator/index.js"
import { ghostMarkets } from "../../src/simulator/ghost.js"
import { migrate } from "../../src/streams/migrate.js"
import { tradesCoverage, tradesGates } from "../../src/streams/validate.js"
import { layerTestClickHouseOn, testEngines } from "../support/clickhouse.js"
import { fillTruths } from "../support/fills.js"
import { SMALL_WORLD } from "../simulator/support.js"

const GROWTH = "no day without trades in pm_trades_with_external"

describe("validate: daily growth and the coverage report against the simulator's ground truth", () => {
  for (const engine of testEngines()) {
    it.live(`${engine}: the report's figures are the truth's counts; growth per day is the truth grouped by UTC day; a day without trades fails`, () =>
      Effect.gen(function* () {
        const world = resolveWorld(SMALL_WORLD)
        const ch = yield* ClickHouse
        yield* migrate(MIGRATIONS, () => Effect.void)
        const fills = fillTruths(world)
        const external = Array.from({ length: world.walletCount }, (_, w) => externalTradeTruthsOfWallet(world, w)).flat()
        yield* ch.insert("clob_fills", fills.map((f) => ({ ...f, ingested_at: 0 })))
        yield* ch.insert("external_trades_raw", external.map((t) => ({ ...t, ingested_at: 0 })))
        // A plan of 10 wallets: 6 done, 3 in error, 1 pending.
        const status = (i: number) => (i < 6 ? "done" : i < 9 ? "error" : "pending")
        const units = Array.from({ length: 10 }, (_, i) => ({ ...newUnit("trades", walletAddress(world, i), JSON.stringify({ rank: i + 1 })), status: status(i) }) as const)
        yield* Effect.flatMap(UnitStore, (s) => s.save(units)).pipe(Effect.provide(layerUnitsClickHouse.pipe(Layer.provide(Layer.succeed(ClickHouse, ch)))))

        // The truth of the view: every fill; external trades only of markets without a fill (the simulator's
        // ghost markets among them, and markets the subgraph has no fill of).
        const clobMarkets = new Set(fills.map((f) => f.condition_id))
        const ghostRows = external.filter((t) => !clobMarkets.has(t.condition_id))
        const ghostIds = new Set(ghostRows.map((t) => t.condition_id))
        for (const g of ghostMarkets(world)) if (g.trades.length > 0) expect(ghostIds.has(g.conditionId)).toBe(true)
        const rows = [...fills.map((f) => ({ ...f, data_source: "clob_fills" })), ...ghostRows.map((t) => ({ ...t, data_source: "polymarket_data_api" }))]
        const byDay = new Map<string, { clob: number; ext: number }>()
        for (const r of rows) {
          const d = byDay.get(dayOf(r.timestamp)) ?? { clob: 0, ext: 0 }
          if (r.data_source === "clob_fills") d.clob++
          else d.ext++
          byDay.set(dayOf(r.timestamp), d)
        }
        const newest = Math.floor(Math.max(...rows.map((r) => r.timestamp)) / DAY_S)
        const window = Array.from({ length: 14 }, (_, i) => dayOf((newest - 13 + i) * DAY_S))

        const checked = yield* tradesGates(14)
        expect(checked.gates.map((g) => [g.name, g.ok])).toEqual([
          ["required tables and views", true],
          ["no duplicate external_trade_id after FINAL", true],
          ["no market with both CLOB and external rows in pm_trades_with_external", true],
          [GROWTH, true]
        ])
        expect(checked.growth.days.map((d) => [d.day, d.trades["clob_fills"], d.trades["polymarket_data_api"], d.total])).toEqual(
          window.map((day) => {
            const d = byDay.get(day) ?? { clob: 0, ext: 0 }
            return [day, d.clob, d.ext, d.clob + d.ext]
          })
        )
        expect(checked.growth.days.some((d) => d.trades["polymarket_data_api"]! > 0)).toBe(true)

        const report = coverageMarkdown(yield* tradesCoverage(checked, 14))
        const uniq = (xs: ReadonlyArray<{ readonly wallet: string; readonly condition_id: string }>) => [new Set(xs.map((x) => x.wallet)).size, new Set(xs.map((x) => x.condition_id)).size]
        expect(report).toContain(`| clob_fills | ${fills.length} | ${uniq(fills).join(" | ")} |`)
        expect(report).toContain(`| polymarket_data_api | ${ghostRows.length} | ${uniq(ghostRows).join(" | ")} |`)
        expect(report).toContain(`Ghost markets (external trades only, no CLOB fill): ${ghostIds.size}\n`)
        expect(report).toContain("| planned | done | error | in_progress | pending |\n| --- | --- | --- | --- | --- |\n| 10 | 6 | 3 | 0 | 1 |")
        expect(report).toContain("| no duplicate external_trade_id after FINAL | 0 ids on more than one row (0 rows) | yes |")
        expect(report).toContain(`| ${GROWTH} | last 14 days to ${window[13]} (the newest trade's day): no empty day | yes |`)
        for (const day of window) {
          const d = byDay.get(day) ?? { clob: 0, ext: 0 }
          expect(report).toContain(`| ${day} | ${d.clob} | ${d.ext} | ${d.clob + d.ext} |`)
        }

        // A ghost trade three days after the newest: the two days between have no trade, and the gate names them.
        const late = { ...ghostRows[0]!, external_trade_id: "late", timestamp: (newest + 3) * DAY_S + 60, ingested_at: 0 }
        yield* ch.insert("external_trades_raw", [late])
        const holed = yield* tradesGates(14)
        const gate = holed.gates.find((g) => g.name === GROWTH)!
        expect(gate.ok).toBe(false)
        expect(gate.result).toBe(`last 14 days to ${dayOf(late.timestamp)} (the newest trade's day): 2 days without trades: ${dayOf((newest + 1) * DAY_S)}, ${dayOf((newest + 2) * DAY_S)}`)
        expect(holed.growth.days.at(-1)).toMatchObject({ day: dayOf(late.timestamp), total: 1, trades: { polymarket_data_api: 1 } })
        expect(coverageMarkdown(yield* tradesCoverage(holed, 14))).toContain("1 of 4 checks failed.")
      }).pipe(Effect.scoped, Effect.provide(layerTestClickHouseOn(engine, "coverage"))),
    120_000)
  }

  it("growth: days before the first day with trades are not holes; an empty view has no days", () => {
    const day = (d: number, trades: number, data_source = "clob_fills") => ({ day: d, data_source, trades })
    const g = growthOf([day(100, 5), day(102, 1, "polymarket_data_api"), day(104, 2)], 7)
    expect(g.days.map((d) => d.total)).toEqual([0, 0, 5, 0, 1, 0, 2])
    expect(g.empty).toEqual([dayOf(101 * DAY_S), dayOf(103 * DAY_S)])
    expect(growthOf([], 14)).toEqual({ days: [], empty: [] })
  })
})
