import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { TABLES } from "../../src/domain/tables.js"
import { MIGRATIONS } from "../../src/layers/migrations/index.js"
import { ClickHouse } from "../../src/services/ClickHouse.js"
import {
  erc1155TruthsInBlocks,
  erc20TruthsInBlocks,
  externalTradeTruthsOfWallet,
  fillTruthsOfMarket,
  floorPnlOfGhostMarkets,
  floorPnlOfMarket,
  marketInfo,
  marketTruths,
  resolutionTruthsInBlocks,
  shortPnlOfResolvedMarket,
  World,
  worldConfig
} from "../../src/simulator/index.js"
import { migrate } from "../../src/streams/migrate.js"
import type { RebuildOptions } from "../../src/streams/pnlRebuild.js"
import { DEFAULT_REBUILD, rebuildPnl } from "../../src/streams/pnlRebuild.js"
import { layerTestClickHouse, layerTestClickHouseOn, testEngines } from "../support/clickhouse.js"

// Days on both sides of the V2 switch (2026-04-28): both fee eras; small buckets so the fold runs in several.
const world = new World(worldConfig({ seed: 7, markets: 48, wallets: 24, from: "2026-04-22", to: "2026-05-04", fills: 3000 }))
const options = (oversell: RebuildOptions["oversell"]): RebuildOptions => ({ ...DEFAULT_REBUILD, oversell, bucketTrades: 1500, now: 1_777_777_777 })

const N = Schema.Union(Schema.Number, Schema.NumberFromString)
const PnlRow = Schema.Struct({ wallet: Schema.String, condition_id: Schema.String, realized_pnl: N, pnl_short: N, resolved: N })
const readPnl = Effect.flatMap(ClickHouse, (ch) =>
  ch.query("SELECT wallet, condition_id, realized_pnl, pnl_short, resolved FROM wallet_market_pnl ORDER BY wallet, condition_id", PnlRow)
)

const stamp = <A extends object>(rows: Iterable<A>, column: string): Array<Record<string, unknown>> => [...rows].map((r) => ({ ...r, [column]: 1_777_000_000 }))

/** The world's markets, fills (from the chain: log indexes), transfers, resolutions and every wallet's Data-API trades. */
const loadWorld = Effect.gen(function* () {
  const ch = yield* ClickHouse
  yield* migrate(MIGRATIONS, () => Effect.void)
  const markets = [...marketTruths(world)]
  yield* ch.insert(TABLES.markets, stamp(markets.map((m) => m.market), "updated_at"))
  yield* ch.insert(TABLES.marketTokens, stamp(markets.flatMap((m) => m.tokens), "updated_at"))
  const fills = Array.from({ length: world.marketCount }, (_, i) => fillTruthsOfMarket(world, i, "rpc")).flat()
  yield* ch.insert(TABLES.clobFills, stamp(fills, "ingested_at"))
  yield* ch.insert(TABLES.erc1155Transfers, stamp(erc1155TruthsInBlocks(world, world.firstBlock, world.headBlock), "ingested_at"))
  yield* ch.insert(TABLES.erc20Transfers, stamp(erc20TruthsInBlocks(world, world.firstBlock, world.headBlock), "ingested_at"))
  yield* ch.insert(TABLES.marketResolutions, stamp(resolutionTruthsInBlocks(world, world.firstBlock, world.headBlock), "updated_at"))
  const external = Array.from({ length: world.walletCount }, (_, w) => externalTradeTruthsOfWallet(world, w)).flat()
  yield* ch.insert(TABLES.externalTrades, stamp(external, "ingested_at"))
  return { fills }
})

const CENT = 0.005

describe("P&L rebuild against the simulator's ledger and a real ClickHouse", () => {
  // On every engine CI has: the embedded 26.x and the 18.16 server.
  for (const engine of testEngines()) it.live(`on the ${engine}: every wallet's realized P&L per market equals the ledger's, under floor and short, voids, neg-risk, both fee eras and ghost markets`, () =>
    Effect.gen(function* () {
      const { fills } = yield* loadWorld
      // The world has what the claim is about.
      const infos = Array.from({ length: world.marketCount }, (_, i) => marketInfo(world, i))
      expect(infos.some((m) => m.resolution === "void")).toBe(true)
      expect(infos.some((m) => m.negRisk && m.resolution !== "none")).toBe(true)
      expect(infos.some((m) => m.resolution === "none")).toBe(true)
      expect(fills.some((f) => f.era === "v1" && f.fee_shares > 0)).toBe(true)
      expect(fills.some((f) => f.era === "v1" && f.side === "SELL" && f.fee_usdc > 0)).toBe(true)
      expect(fills.some((f) => f.era === "v2" && f.side === "BUY" && f.fee_usdc > 0)).toBe(true)
      const sides = new Map<string, Set<string>>()
      for (const f of fills) sides.set(`${f.wallet}|${f.condition_id}`, (sides.get(`${f.wallet}|${f.condition_id}`) ?? new Set()).add(f.side))
      expect([...sides.values()].filter((s) => s.size === 2).length).toBeGreaterThan(10)

      const floor = yield* rebuildPnl(options("floor"))
      expect(floor.gates.filter((g) => !g.passed)).toEqual([])
      expect(floor.swapped).toBe(true)
      expect(floor.gates.find((g) => g.name === "direction")!.detail).toMatch(/fills with transfers/)
      const got = new Map((yield* readPnl).map((r) => [`${r.wallet}|${r.condition_id}`, r]))

      const expected = new Map<string, number>()
      for (let i = 0; i < world.marketCount; i++) {
        for (const [wallet, pnl] of floorPnlOfMarket(world, i)) expected.set(`${wallet}|${infos[i]!.conditionId}`, pnl)
      }
      const ghosts = floorPnlOfGhostMarkets(world)
      for (const [conditionId, wallets] of ghosts) for (const [wallet, pnl] of wallets) expected.set(`${wallet}|${conditionId}`, pnl)
      expect(ghosts.size).toBeGreaterThan(0)
      expect(new Set(got.keys())).toEqual(new Set(expected.keys()))
      const off = [...expected].filter(([k, pnl]) => Math.abs(got.get(k)!.realized_pnl - pnl) > CENT)
      expect(off).toEqual([])
      expect(floor.oversold.sells).toBeGreaterThan(0)

      // Under short, a resolved market's P&L is the wallet's cash flows plus its net shares' payout.
      const short = yield* rebuildPnl(options("short"))
      expect(short.swapped).toBe(true)
      const gotShort = new Map((yield* readPnl).map((r) => [`${r.wallet}|${r.condition_id}`, r]))
      let checked = 0
      for (let i = 0; i < world.marketCount; i++) {
        const truth = shortPnlOfResolvedMarket(world, i)
        if (truth === undefined) continue
        for (const [wallet, { pnl }] of truth) {
          const row = gotShort.get(`${wallet}|${infos[i]!.conditionId}`)!
          expect(row.resolved).toBe(1)
          expect(Math.abs(row.realized_pnl - pnl)).toBeLessThan(CENT)
          expect(Math.abs(row.pnl_short - pnl)).toBeLessThan(CENT)
          checked++
        }
      }
      expect(checked).toBeGreaterThan(50)
    }).pipe(Effect.provide(layerTestClickHouseOn(engine, "pnl_truth"))), 120_000)

  it.live("the gate fails on an injected duplicate fill and on a resolution that is not one-hot; nothing is swapped", () =>
    Effect.gen(function* () {
      const ch = yield* ClickHouse
      const { fills } = yield* loadWorld
      const first = yield* rebuildPnl(options("floor"))
      expect(first.swapped).toBe(true)
      const before = yield* readPnl
      expect(before.length).toBeGreaterThan(0)

      // The same fill id under another wallet: FINAL keeps both (the key is token, wallet, fill id).
      const victim = fills.find((f) => f.side === "BUY")!
      yield* ch.insert(TABLES.clobFills, stamp([{ ...victim, wallet: "0x00000000000000000000000000000000000000aa", maker: "0x00000000000000000000000000000000000000aa" }], "ingested_at"))
      const dup = yield* rebuildPnl(options("floor"))
      expect(dup.swapped).toBe(false)
      const duplicates = dup.gates.find((g) => g.name === "duplicates")!
      expect(duplicates.passed).toBe(false)
      expect(duplicates.offenders).toEqual([`fill_id ${victim.fill_id}: 2 rows`])
      // The doubled fill also breaks conservation in its market (when it resolved).
      expect(yield* readPnl).toEqual(before)

      // A resolution paying both outcomes unequally, newer than the chain's row.
      const resolved = [...resolutionTruthsInBlocks(world, world.firstBlock, world.headBlock)].find((r) => r.is_void === 0)!
      yield* ch.insert(TABLES.marketResolutions, [{ ...resolved, payout_numerators: ["2", "1"], payout_denominator: "3", updated_at: 1_888_000_000 }])
      const bad = yield* rebuildPnl(options("floor"))
      expect(bad.swapped).toBe(false)
      const oneHot = bad.gates.find((g) => g.name === "one-hot")!
      expect(oneHot.passed).toBe(false)
      expect(oneHot.offenders).toEqual([`condition ${resolved.condition_id}: payouts [2,1] in market_resolutions`])
      expect(yield* readPnl).toEqual(before)
    }).pipe(Effect.provide(layerTestClickHouse("pnl_gate"))), 120_000)
})
