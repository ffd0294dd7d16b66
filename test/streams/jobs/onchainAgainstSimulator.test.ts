import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Schema } from "effect"
import { layerJobEnv } from "../../../src/cli/jobLayers.js"
import { layerFixed } from "../../../src/layers/GovernorFixed.js"
import { layerSilent } from "../../../src/layers/ProgressLive.js"
import { layerClickHouse as layerRowSink } from "../../../src/layers/RowSinkClickHouse.js"
import { layerClickHouse as layerUnits } from "../../../src/layers/UnitStoreClickHouse.js"
import { PolygonRpc } from "../../../src/services/PolygonRpc.js"
import { DEFAULT_REQUEST_POLICY, RequestPolicy } from "../../../src/services/RequestPolicy.js"
import { Sources } from "../../../src/services/Sources.js"
import type { Knobs } from "../../../src/simulator/index.js"
import { ALL_SHARDS } from "../../../src/domain/units.js"
import { MIGRATIONS } from "../../../src/layers/migrations/index.js"
import { ClickHouse } from "../../../src/services/ClickHouse.js"
import { DEFAULT_ONCHAIN_SETTINGS, OnchainSettings } from "../../../src/services/OnchainSettings.js"
import { UnitStore } from "../../../src/services/UnitStore.js"
import {
  erc1155TruthsInBlocks,
  erc20TruthsInBlocks,
  fillTruthsInBlocks,
  profileKnobs,
  resolutionTruthsInBlocks,
  simulatorSources,
  startSimulator
} from "../../../src/simulator/index.js"
import type { EngineOptions } from "../../../src/streams/engine.js"
import { runJob } from "../../../src/streams/engine.js"
import { findJob } from "../../../src/streams/jobs/index.js"
import { migrate } from "../../../src/streams/migrate.js"
import { planJob } from "../../../src/streams/plan.js"
import { layerTestClickHouse, layerTestClickHouseOn, testEngines } from "../../support/clickhouse.js"
import { exactFillColumns, fillTruths, readFills, sameFillFloats } from "../../support/fills.js"
import { layerRunOnSimulator } from "../../support/runLayers.js"

// Days on both sides of the 2026-04-28 switch; a 250-result cap makes days split into many ranges; logs
// without blockTimestamp (older nodes), so timestamps come from block headers.
const WORLD = { seed: 23, markets: 60, wallets: 30, from: "2026-04-26", to: "2026-04-30", fills: 2500 } as const
const CAP = 250
const markets = findJob("markets")!
const fills = findJob("fills")!
const onchain = findJob("onchain")!

const options = (runId: string): EngineOptions => ({
  runId,
  workers: 4,
  sink: { batchSize: 2000, flushInterval: Duration.millis(100) },
  checkpointInterval: 500,
  selection: { retryErrors: false, shard: ALL_SHARDS, skip: 0, limit: undefined, since: undefined, until: undefined },
  say: () => Effect.void
})

const N = Schema.Union(Schema.Number, Schema.NumberFromString)
const S = Schema.String
const byId = (a: { fill_id: string }, b: { fill_id: string }) => (a.fill_id < b.fill_id ? -1 : 1)

describe("onchain job against the simulator's RPC and a real ClickHouse", () => {
  // On every engine CI has: the embedded 26.x and the 18.16 server.
  for (const engine of testEngines()) it.live(
    `on the ${engine}: fills, transfers and resolutions of days across 2026-04-28 equal the ledger; rerun adds nothing; the same fill from Goldsky is one row`,
    () =>
      Effect.gen(function* () {
        const sim = yield* Effect.acquireRelease(
          Effect.promise(() => startSimulator({ world: WORLD, knobs: { caps: { ...profileKnobs("none").caps, rpcMaxResults: CAP, rpcLogsWithoutTimestamp: true } } })),
          (s) => Effect.promise(() => s.close())
        )
        const clickhouse = yield* ClickHouse
        yield* migrate(MIGRATIONS, () => Effect.void)
        const settings = Layer.succeed(OnchainSettings, { ...DEFAULT_ONCHAIN_SETTINGS, window: { by: "dates", from: WORLD.from, to: WORLD.to } })
        const layers = Layer.merge(layerRunOnSimulator(sim, clickhouse, 8), settings)
        const w = sim.world
        const rows = <A, I>(sql: string, schema: Schema.Schema<A, I>) => clickhouse.query(sql, schema)

        yield* Effect.gen(function* () {
          yield* planJob(markets, { rebuild: false })
          expect((yield* runJob(markets, options("markets"))).errors).toBe(0)
          const planned = yield* planJob(onchain, { rebuild: false })
          expect(planned.added).toBe(5)
          const units = yield* Effect.flatMap(UnitStore, (s) => s.load("onchain"))
          expect(units.map((u) => u.unit_key).sort()).toEqual(["2026-04-26", "2026-04-27", "2026-04-28", "2026-04-29", "2026-04-30"])
          // The day ranges tile the world's blocks exactly.
          const ranges = units.map((u) => JSON.parse(u.payload) as { from: number; to: number }).sort((a, b) => a.from - b.from)
          expect(ranges[0]!.from).toBe(w.firstBlock)
          expect(ranges.at(-1)!.to).toBe(w.headBlock)
          ranges.slice(1).forEach((r, i) => expect(r.from).toBe(ranges[i]!.to + 1))

          yield* Effect.promise(() => fetch(`${sim.statsUrl}?reset=1`))
          const run = yield* runJob(onchain, options("onchain"))
          expect(run).toMatchObject({ done: 5, errors: 0, quarantined: 0 })

          const truth = [...fillTruthsInBlocks(w, w.firstBlock, w.headBlock)].sort(byId)
          expect(truth.some((t) => t.era === "v1") && truth.some((t) => t.era === "v2")).toBe(true)
          const got = (yield* readFills(clickhouse)).filter((r) => r.source === "rpc")
          expect(got.map(exactFillColumns)).toEqual(truth.map(exactFillColumns))
          got.forEach((r, i) => expect(sameFillFloats(r, truth[i]!)).toBe(true))

          const erc20 = yield* rows(
            "SELECT tx_hash, log_index, block_number, toUInt32(timestamp) AS timestamp, token, from_address, to_address, amount FROM erc20_transfers FINAL ORDER BY tx_hash, log_index",
            Schema.Struct({ tx_hash: S, log_index: N, block_number: N, timestamp: N, token: S, from_address: S, to_address: S, amount: S })
          )
          const key = (r: { tx_hash: string; log_index: number }) => `${r.tx_hash}_${String(r.log_index).padStart(6, "0")}`
          expect(erc20).toEqual([...erc20TruthsInBlocks(w, w.firstBlock, w.headBlock)].sort((a, b) => (key(a) < key(b) ? -1 : 1)))
          const erc1155 = yield* rows(
            "SELECT tx_hash, log_index, batch_index, block_number, toUInt32(timestamp) AS timestamp, contract, operator, from_address, to_address, token_id, amount, zero_value FROM erc1155_transfers FINAL ORDER BY tx_hash, log_index, batch_index",
            Schema.Struct({ tx_hash: S, log_index: N, batch_index: N, block_number: N, timestamp: N, contract: S, operator: S, from_address: S, to_address: S, token_id: S, amount: S, zero_value: N })
          )
          const key1155 = (r: { tx_hash: string; log_index: number; batch_index: number }) => `${key(r)}_${r.batch_index}`
          expect(erc1155).toEqual([...erc1155TruthsInBlocks(w, w.firstBlock, w.headBlock)].sort((a, b) => (key1155(a) < key1155(b) ? -1 : 1)))
          const resolutions = yield* rows(
            "SELECT condition_id, oracle, question_id, outcome_slot_count, arrayMap(x -> toString(x), payout_numerators) AS payout_numerators, toString(payout_denominator) AS payout_denominator, " +
              "winning_outcome_index, is_void, toUInt32(resolved_at) AS resolved_at, block_number, tx_hash, log_index, source FROM market_resolutions FINAL ORDER BY condition_id",
            Schema.Struct({
              condition_id: S, oracle: S, question_id: S, outcome_slot_count: N, payout_numerators: Schema.Array(S), payout_denominator: S,
              winning_outcome_index: N, is_void: N, resolved_at: N, block_number: N, tx_hash: S, log_index: N, source: S
            })
          )
          const resolutionTruth = [...resolutionTruthsInBlocks(w, w.firstBlock, w.headBlock)].sort((a, b) => (a.condition_id < b.condition_id ? -1 : 1))
          expect(resolutionTruth.length).toBeGreaterThan(0)
          expect(resolutions).toEqual(resolutionTruth)

          // Per-day counts in the cursors add up to what the tables hold.
          const done = yield* Effect.flatMap(UnitStore, (s) => s.load("onchain"))
          const counts = done.map((u) => JSON.parse(u.cursor).counts as Record<string, number>)
          const sum = (k: string) => counts.reduce((n, c) => n + c[k]!, 0)
          expect({ fills: sum("fills"), erc20: sum("erc20"), erc1155: sum("erc1155"), resolutions: sum("resolutions") }).toEqual({
            fills: truth.length,
            erc20: erc20.length,
            erc1155: erc1155.length,
            resolutions: resolutionTruth.length
          })

          // The span adapted: refusals narrowed it, answers grew it back, and no refused range was given up.
          const stats = (yield* Effect.promise(() => fetch(sim.statsUrl).then((r) => r.json()))) as { getLogs: Array<{ from: number; to: number; refused: boolean }> }
          const calls = stats.getLogs
          expect(calls.some((c) => c.refused)).toBe(true)
          const spans = calls.map((c) => c.to - c.from + 1)
          const grewAfterRefusal = calls.some((c, i) => i > 1 && c.refused === false && calls[i - 1]!.refused === false && spans[i]! > spans[i - 1]! && calls.slice(0, i).some((p) => p.refused))
          expect(grewAfterRefusal).toBe(true)

          // Rerun: nothing to take; a rebuilt plan read again writes the same rows, not more.
          expect((yield* runJob(onchain, options("again"))).selected).toBe(0)
          yield* planJob(onchain, { rebuild: true })
          expect((yield* runJob(onchain, options("rebuilt"))).done).toBe(5)
          expect((yield* readFills(clickhouse)).filter((r) => r.source === "rpc").length).toBe(truth.length)

          // The Goldsky job over the same world: each V1 fill stays one row, the chain's.
          yield* planJob(fills, { rebuild: false })
          expect((yield* runJob(fills, options("fills"))).errors).toBe(0)
          const all = yield* readFills(clickhouse)
          expect(all.length).toBe(truth.length)
          expect(all.every((r) => r.source === "rpc")).toBe(true)
          expect(fillTruths(w).length).toBeGreaterThan(0)
        }).pipe(Effect.provide(layers))
      }).pipe(Effect.scoped, Effect.provide(layerTestClickHouseOn(engine, "onchain"))),
    180_000
  )

  it.live(
    "over three RPC URLs, one always 429 and one always hanging, the job still writes exactly the ledger's fills",
    () =>
      Effect.gen(function* () {
        const world = { seed: 5, markets: 30, wallets: 20, from: "2026-04-27", to: "2026-04-28", fills: 800 } as const
        const none = profileKnobs("none")
        const start = (knobs: Partial<Knobs>) =>
          Effect.acquireRelease(Effect.promise(() => startSimulator({ world, knobs })), (s) => Effect.promise(() => s.close()))
        const limited = yield* start({ rateLimits: [{ family: "rpc", limit: 0, windowMs: 1000 }] })
        const hanging = yield* start({ faults: { ...none.faults, hangRate: 1, hangMs: 60_000 } })
        const healthy = yield* start({})
        const clickhouse = yield* ClickHouse
        yield* migrate(MIGRATIONS, () => Effect.void)
        const sources = Layer.succeed(Sources, { ...simulatorSources(healthy), rpc: [limited.rpcUrl, hanging.rpcUrl, healthy.rpcUrl] })
        const layers = Layer.mergeAll(
          layerUnits,
          layerRowSink,
          layerSilent,
          layerJobEnv(sources, layerFixed(8), onchain),
          Layer.succeed(OnchainSettings, { ...DEFAULT_ONCHAIN_SETTINGS, window: { by: "dates", from: world.from, to: world.to } }),
          Layer.succeed(RequestPolicy, { ...DEFAULT_REQUEST_POLICY, timeout: Duration.seconds(1) })
        ).pipe(Layer.provideMerge(Layer.succeed(ClickHouse, clickhouse)))
        yield* Effect.gen(function* () {
          yield* planJob(markets, { rebuild: false })
          yield* runJob(markets, options("markets"))
          yield* planJob(onchain, { rebuild: false })
          const run = yield* runJob(onchain, options("faults"))
          expect(run).toMatchObject({ done: 2, errors: 0 })
          const w = healthy.world
          const truth = [...fillTruthsInBlocks(w, w.firstBlock, w.headBlock)].sort(byId)
          expect((yield* readFills(clickhouse)).map(exactFillColumns)).toEqual(truth.map(exactFillColumns))
          const health = yield* Effect.flatMap(PolygonRpc, (rpc) => rpc.health)
          expect(health.map((h) => h.setAside)).toEqual([true, true, false])
          expect(health[2]!.share).toBeGreaterThan(0.5)
        }).pipe(Effect.provide(layers))
      }).pipe(Effect.scoped, Effect.provide(layerTestClickHouse("onchain_pool"))),
    120_000
  )

  it.live("a single block over the provider's result cap fails its day with the block and the cap named", () =>
    Effect.gen(function* () {
      const sim = yield* Effect.acquireRelease(
        Effect.promise(() =>
          startSimulator({ world: { seed: 3, markets: 20, wallets: 10, from: "2026-04-28", to: "2026-04-28", fills: 400 }, knobs: { caps: { ...profileKnobs("none").caps, rpcMaxResults: 3 } } })
        ),
        (s) => Effect.promise(() => s.close())
      )
      const clickhouse = yield* ClickHouse
      yield* migrate(MIGRATIONS, () => Effect.void)
      const settings = Layer.succeed(OnchainSettings, { ...DEFAULT_ONCHAIN_SETTINGS, window: { by: "dates", from: "2026-04-28", to: "2026-04-28" } })
      const run = yield* Effect.gen(function* () {
        yield* planJob(onchain, { rebuild: false })
        return yield* runJob(onchain, options("cap"))
      }).pipe(Effect.provide(Layer.merge(layerRunOnSimulator(sim, clickhouse, 4), settings)))
      expect(run).toMatchObject({ done: 0, errors: 1 })
      expect(run.lastErrors[0]!.message).toMatch(/^onchain day 2026-04-28: block \d+ alone is over the provider's cap \(.*more than 3 results.*\); use an RPC URL with a higher eth_getLogs limit$/)
    }).pipe(Effect.scoped, Effect.provide(layerTestClickHouse("onchain_cap"))))
})
