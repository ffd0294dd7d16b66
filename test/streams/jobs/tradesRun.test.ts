import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Schema } from "effect"
import { ALL_SHARDS, newUnit } from "../../../src/domain/units.js"
import { MIGRATIONS } from "../../../src/layers/migrations/index.js"
import { ClickHouse } from "../../../src/services/ClickHouse.js"
import type { TradesSettingsApi } from "../../../src/services/TradesSettings.js"
import { DEFAULT_TRADES_SETTINGS, TradesSettings } from "../../../src/services/TradesSettings.js"
import { UnitStore } from "../../../src/services/UnitStore.js"
import { externalTradeTruthsOfWallet, startSimulator, walletAddress } from "../../../src/simulator/index.js"
import { ghostMarkets } from "../../../src/simulator/ghost.js"
import type { EngineOptions } from "../../../src/streams/engine.js"
import { runJob } from "../../../src/streams/engine.js"
import { tradesJob } from "../../../src/streams/jobs/trades.js"
import { migrate } from "../../../src/streams/migrate.js"
import { planJob } from "../../../src/streams/plan.js"
import { resetUnits } from "../../../src/streams/reset.js"
import { tradesGates } from "../../../src/streams/validate.js"
import { layerTestClickHouseOn, testEngines } from "../../support/clickhouse.js"
import { fillTruths } from "../../support/fills.js"
import { layerRunOnSimulator } from "../../support/runLayers.js"
import { SMALL_WORLD } from "../../simulator/support.js"
import { expectSameTrades } from "./support.js"

const N = Schema.Union(Schema.Number, Schema.NumberFromString)
const options = (runId: string, limit?: number): EngineOptions => ({
  runId,
  workers: 4,
  sink: { batchSize: 500, flushInterval: Duration.millis(100) },
  checkpointInterval: 100,
  selection: { retryErrors: false, shard: ALL_SHARDS, skip: 0, limit, since: undefined, until: undefined },
  say: () => Effect.void
})
const TradeRow = Schema.Struct({
  external_trade_id: Schema.String,
  wallet: Schema.String,
  side: Schema.String,
  token_id: Schema.String,
  condition_id: Schema.String,
  outcome_index: N,
  outcome: Schema.String,
  price: N,
  size: N,
  usdc: N,
  timestamp: N,
  tx_hash: Schema.String,
  title: Schema.String,
  slug: Schema.String,
  source: Schema.String
})
const READ_TRADES = `SELECT external_trade_id, wallet, side, token_id, condition_id, outcome_index, outcome, price, size, usdc, toUInt32(timestamp) AS timestamp, tx_hash, title, slug, source FROM external_trades_raw FINAL`

describe("trades: plan and run against the simulator into ClickHouse", () => {
  for (const engine of testEngines()) {
    it.live(`${engine}: top wallets by CLOB volume run biggest first; rows equal the ground truth; ghost markets only through the view; rerun adds nothing; reset and validate`, () =>
      Effect.gen(function* () {
        const sim = yield* Effect.acquireRelease(Effect.promise(() => startSimulator({ world: SMALL_WORLD })), (s) => Effect.promise(() => s.close()))
        const world = sim.world
        const ch = yield* ClickHouse
        yield* migrate(MIGRATIONS, () => Effect.void)
        const fills = fillTruths(world)
        yield* ch.insert("clob_fills", fills.map((f) => ({ ...f, ingested_at: 0 })))
        const count = (sql: string) => Effect.map(ch.query(sql, Schema.Struct({ n: N })), (r) => r[0]?.n ?? 0)

        // The truth's ranking: each fill row is its wallet's own leg, so a wallet's volume sums its rows.
        const volume = new Map<string, number>()
        for (const f of fills) volume.set(f.wallet, (volume.get(f.wallet) ?? 0) + f.usdc)
        const ranked = [...volume].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([w]) => w)
        const outsider = Array.from({ length: world.walletCount }, (_, w) => walletAddress(world, w)).find((a) => !ranked.slice(0, 5).includes(a))!
        const unknown = "0x00000000000000000000000000000000000000aa"
        const settings = (s: Partial<TradesSettingsApi>) => Layer.succeed(TradesSettings, { ...DEFAULT_TRADES_SETTINGS, ...s })
        const layers = Layer.merge(layerRunOnSimulator(sim, ch, 4), settings({ top: 5, wallets: [outsider, ranked[0]!, unknown] }))

        yield* Effect.gen(function* () {
          const planned = yield* planJob(tradesJob, { rebuild: false })
          expect(planned.added).toBe(7)
          const plan = yield* ch.query("SELECT wallet_address, status, rank, trades FROM wallet_backfill_plan ORDER BY rank", Schema.Struct({ wallet_address: Schema.String, status: Schema.String, rank: N, trades: N }))
          expect(plan.map((p) => p.wallet_address)).toEqual([...ranked.slice(0, 5), outsider, unknown])
          expect(plan.map((p) => p.rank)).toEqual([1, 2, 3, 4, 5, 6, 7])

          // --limit 2 takes the two biggest wallets.
          const first = yield* runJob(tradesJob, options("t-first", 2))
          expect(first.done).toBe(2)
          const done = yield* ch.query("SELECT wallet_address FROM wallet_backfill_plan WHERE status = 'done' ORDER BY rank", Schema.Struct({ wallet_address: Schema.String }))
          expect(done.map((d) => d.wallet_address)).toEqual(ranked.slice(0, 2))
          // Planning again keeps every planned wallet as it is.
          expect(yield* planJob(tradesJob, { rebuild: false })).toMatchObject({ added: 0, kept: 7 })
          expect(yield* count("SELECT count() AS n FROM wallet_backfill_plan WHERE status = 'done'")).toBe(2)

          // A unit the API refuses (not an address): error with the API's words; reset puts it back.
          yield* Effect.flatMap(UnitStore, (s) => s.save([newUnit("trades", "0xnot-a-wallet", JSON.stringify({ rank: 99 }))]))
          const rest = yield* runJob(tradesJob, options("t-rest"))
          expect(rest.done).toBe(5)
          expect(rest.errors).toBe(1)
          expect(rest.lastErrors[0]!.message).toContain("user must be a 0x-prefixed 40-hex-digit address")
          const reset = yield* resetUnits("trades", "error", "0xnot-a-wallet")
          expect(reset.units.map((u) => u.unitKey)).toEqual(["0xnot-a-wallet"])
          expect(yield* count("SELECT count() AS n FROM wallet_backfill_plan WHERE status = 'pending'")).toBe(1)

          // Every planned wallet's trades, exactly; the unknown wallet done with none.
          const wallets = [...ranked.slice(0, 5), outsider]
          const truth = wallets.flatMap((a) => externalTradeTruthsOfWallet(world, Array.from({ length: world.walletCount }, (_, w) => w).find((w) => walletAddress(world, w) === a)!))
          const rows = yield* ch.query(READ_TRADES, TradeRow)
          expectSameTrades(rows as never, truth as never)
          expect(yield* count(`SELECT trades AS n FROM wallet_backfill_plan WHERE wallet_address = '${unknown}' AND status = 'done'`)).toBe(0)

          // A rerun from scratch adds nothing (the key is stable); FINAL shows each trade once.
          yield* planJob(tradesJob, { rebuild: true })
          yield* Effect.flatMap(UnitStore, (s) => s.save([{ ...newUnit("trades", "0xnot-a-wallet", "{}"), status: "done" }]))
          const again = yield* runJob(tradesJob, options("t-again"))
          expect(again.rows).toBe(truth.length)
          expect(yield* count("SELECT count() AS n FROM external_trades_raw FINAL")).toBe(truth.length)
          expect(yield* count("SELECT uniqExact(external_trade_id) AS n FROM external_trades_raw")).toBe(truth.length)

          // The view: CLOB markets show only their fills, the others (ghosts among them) only external rows.
          const clobMarkets = new Set(fills.map((f) => f.condition_id))
          const external = truth.filter((t) => !clobMarkets.has(t.condition_id))
          const ghostIds = new Set(ghostMarkets(world).map((g) => g.conditionId))
          expect(external.some((t) => ghostIds.has(t.condition_id))).toBe(true)
          const view = yield* ch.query(
            "SELECT data_source, uniqExact(condition_id) AS markets, count() AS n, sum(usdc) AS usdc FROM pm_trades_with_external GROUP BY data_source ORDER BY data_source",
            Schema.Struct({ data_source: Schema.String, markets: N, n: N, usdc: N })
          )
          expect(view.map((v) => [v.data_source, v.markets, v.n])).toEqual([
            ["clob_fills", clobMarkets.size, fills.length],
            ["polymarket_data_api", new Set(external.map((t) => t.condition_id)).size, external.length]
          ])
          expect(yield* count(`SELECT count() AS n FROM pm_trades_with_external WHERE data_source = 'clob_fills' AND condition_id IN (SELECT condition_id FROM external_trades_raw WHERE condition_id NOT IN (SELECT condition_id FROM clob_fills))`)).toBe(0)
          // Volume once per trade: the taker legs of CLOB matches, plus every external row.
          const takerVolume = fills.filter((f) => f.is_taker_leg === 1).reduce((n, f) => n + f.usdc, 0) + external.reduce((n, t) => n + t.usdc, 0)
          const summed = yield* ch.query("SELECT sum(usdc) AS v FROM pm_trades_with_external WHERE is_taker_leg = 1", Schema.Struct({ v: N }))
          expect(summed[0]!.v).toBeCloseTo(takerVolume, 6)

          // validate: every gate passes, and a missing view fails its gate.
          const { gates } = yield* tradesGates()
          expect(gates.map((g) => [g.name, g.ok])).toEqual([
            ["required tables and views", true],
            ["no duplicate external_trade_id after FINAL", true],
            ["no market with both CLOB and external rows in pm_trades_with_external", true],
            ["no day without trades in pm_trades_with_external", true]
          ])
          expect(gates[1]!.result).toBe("0 ids on more than one row (0 rows)")
          yield* ch.command("DROP TABLE wallet_backfill_plan")
          const { gates: broken } = yield* tradesGates()
          expect(broken[0]).toMatchObject({ ok: false, result: "missing: wallet_backfill_plan (run `polybackfill migrate`)" })
        }).pipe(Effect.provide(layers))
      }).pipe(Effect.scoped, Effect.provide(layerTestClickHouseOn(engine, "trades"))), 120_000)
  }
})
