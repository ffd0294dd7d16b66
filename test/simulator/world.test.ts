import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"
import { CONTRACTS, V2_GENESIS_BLOCK } from "../../src/domain/polygon.js"
import { worldConfig } from "../../src/simulator/config.js"
import { fillTruthsOfMarket, marketTruth, pnlOfMarket, pnlOfWallet } from "../../src/simulator/groundTruth.js"
import type { LedgerTx } from "../../src/simulator/ledger.js"
import { buildMatchLogs, logCountOf, marketTxs, matchShape, txsInBlocks } from "../../src/simulator/ledger.js"
import { marketInfo, walletAddress } from "../../src/simulator/market.js"
import { World } from "../../src/simulator/world.js"
import { TAKER_SLOT, walletIndex, walletOfAddress } from "../../src/simulator/walletIndex.js"
import { worldDigest } from "./digestWorld.js"

const exec = promisify(execFile)
const config = worldConfig({ seed: 11, markets: 400, wallets: 80, from: "2026-04-01", to: "2026-05-20", fills: 20_000 })
const world = new World(config)

/** Net flow per (contract, token id, holder) of a transaction's transfers. */
const balances = (tx: LedgerTx) => {
  const net = new Map<string, number>()
  const add = (k: string, v: number) => net.set(k, (net.get(k) ?? 0) + v)
  for (const log of tx.logs) {
    if (log.t === "erc20") {
      add(`${log.token}|${log.from}`, -log.amount)
      add(`${log.token}|${log.to}`, log.amount)
    } else if (log.t === "single") {
      add(`${log.id}|${log.from}`, -log.value)
      add(`${log.id}|${log.to}`, log.value)
    } else if (log.t === "batch") {
      log.ids.forEach((id, b) => {
        add(`${id}|${log.from}`, -log.values[b]!)
        add(`${id}|${log.to}`, log.values[b]!)
      })
    }
  }
  return net
}

describe("world", () => {
  it("the same seed gives the same world; another seed another", () => {
    const again = new World(config)
    expect(again.digest()).toBe(world.digest())
    expect(marketTruth(again, 17)).toEqual(marketTruth(world, 17))
    expect(fillTruthsOfMarket(again, 17)).toEqual(fillTruthsOfMarket(world, 17))
    expect(new World({ ...config, seed: 12 }).digest()).not.toBe(world.digest())
  })

  it("is deterministic across processes", async () => {
    const run = () => exec("node_modules/.bin/vite-node", ["test/simulator/digestWorld.ts", "--print", "5"], { timeout: 60_000 })
    const [a, b] = await Promise.all([run(), run()])
    expect(a.stdout.trim()).toMatch(/^[0-9a-f]{64}$/)
    expect(a.stdout.trim()).toBe(b.stdout.trim())
    expect(a.stdout.trim()).toBe(worldDigest(5))
  }, 60_000)

  it("has the catalogue the runbooks expect: 5-10% never traded, neg-risk and binary, voids, ids and token ids in shape", () => {
    const n = world.marketCount
    const never = Array.from({ length: n }, (_, i) => world.matchesOf(i)).filter((c) => c === 0).length
    expect(never / n).toBeGreaterThanOrEqual(0.05)
    expect(never / n).toBeLessThanOrEqual(0.1)
    const infos = Array.from({ length: n }, (_, i) => marketInfo(world, i))
    expect(infos.some((m) => m.negRisk) && infos.some((m) => !m.negRisk)).toBe(true)
    expect(infos.some((m) => m.resolution === "void")).toBe(true)
    expect(infos.some((m) => m.closed && m.resolution === "none")).toBe(true)
    for (const m of infos) {
      expect(m.createdTs).toBeGreaterThanOrEqual(config.fromTs)
      expect(m.endTs).toBeLessThanOrEqual(config.toTs)
      for (const t of m.tokenIds) expect(t).toMatch(/^[1-9][0-9]{75,76}$/)
    }
    expect(new Set(infos.flatMap((m) => m.tokenIds.map((t) => t.length)))).toEqual(new Set([76, 77]))
    expect(new Set(infos.map((m) => m.conditionId)).size).toBe(n)
    const addresses = Array.from({ length: world.walletCount }, (_, w) => walletAddress(world, w))
    expect(addresses.every((a) => /^0x[0-9a-f]{40}$/.test(a))).toBe(true)
    expect(new Set(addresses).size).toBe(addresses.length)
    expect(addresses.some((a) => a.startsWith("0x0000"))).toBe(true)
  })

  it("ledger: log counts, unique tx hashes, partial fills across txs, both eras, balanced transfers", () => {
    const txHashes = new Set<string>()
    const orderTxs = new Map<string, Set<string>>()
    const eras = new Set<string>()
    let txs = 0
    for (const tx of txsInBlocks(world, world.firstBlock, world.headBlock)) {
      txs++
      if (tx.kind !== "match") continue
      expect(txHashes.has(tx.txHash)).toBe(false)
      txHashes.add(tx.txHash)
      eras.add(tx.era)
      const shape = matchShape(world, tx.market, tx.j)
      expect(logCountOf(world, shape)).toBe(tx.logs.length)
      expect(buildMatchLogs(world, shape).logs).toEqual(tx.logs)
      expect(tx.era).toBe(tx.block >= V2_GENESIS_BLOCK ? "v2" : "v1")
      const fills = tx.logs.filter((l) => l.t === "fill")
      expect(fills.length).toBe(shape.makers.length + 1)
      const takerLeg = fills[fills.length - 1]!
      expect(takerLeg.t === "fill" && takerLeg.taker).toBe(tx.exchange)
      for (const f of fills) if (f.t === "fill") orderTxs.set(f.leg.orderHash, (orderTxs.get(f.leg.orderHash) ?? new Set()).add(tx.txHash))
      // The exchange ends every match with nothing: what came in went out (to owners, the operator or the CTF).
      for (const [key, v] of balances(tx)) if (key.endsWith(`|${tx.exchange}`)) expect(v).toBe(0)
    }
    expect(txs).toBeGreaterThan(world.matchCount)
    expect(eras).toEqual(new Set(["v1", "v2"]))
    expect([...orderTxs.values()].some((s) => s.size > 1)).toBe(true)
    const collaterals = new Set<string>()
    for (const tx of txsInBlocks(world, world.firstBlock, world.headBlock)) if (tx.kind === "match") collaterals.add(tx.collateral)
    expect(collaterals).toEqual(new Set([CONTRACTS.usdce, CONTRACTS.pusd]))
  })

  it("P&L: zero-sum over the wallets of a resolved market, per wallet consistent with per market", () => {
    let checked = 0
    for (let i = 0; i < world.marketCount && checked < 40; i++) {
      if (world.resolution(i) === "none" || world.matchesOf(i) === 0) continue
      const pnl = pnlOfMarket(world, i)
      const total = [...pnl.values()].reduce((a, b) => a + b, 0)
      expect(Math.abs(total)).toBeLessThan(1e-6)
      checked++
    }
    expect(checked).toBeGreaterThan(10)
    const w = 3
    const byMarket = pnlOfWallet(world, w)
    expect(byMarket.size).toBeGreaterThan(0)
    for (const [conditionId, v] of byMarket) {
      const i = Array.from({ length: world.marketCount }, (_, k) => k).find((k) => marketInfo(world, k).conditionId === conditionId)!
      expect(pnlOfMarket(world, i).get(walletAddress(world, w))).toBeCloseTo(v, 9)
    }
  })

  it("the compact wallet index lists exactly each wallet's legs, in chain order", () => {
    const expected = new Map<number, Array<number>>()
    for (let p = 0; p < world.matchCount; p++) {
      const shape = matchShape(world, world.matchMarket[p]!, world.rankOf(p), p)
      shape.makers.forEach((w, s) => expected.set(w, [...(expected.get(w) ?? []), p * 8 + s]))
      expected.set(shape.taker, [...(expected.get(shape.taker) ?? []), p * 8 + TAKER_SLOT])
    }
    const idx = walletIndex(world)
    let total = 0
    for (let w = 0; w < world.walletCount; w++) {
      expect([...idx.entries(w)]).toEqual(expected.get(w) ?? [])
      expect(idx.count(w)).toBe((expected.get(w) ?? []).length)
      total += idx.count(w)
    }
    expect(idx.totalLegs).toBe(total)
    expect(walletOfAddress(world, walletAddress(world, 17).toUpperCase().replace("0X", "0x"))).toBe(17)
    expect(walletOfAddress(world, "0x" + "ab".repeat(20))).toBeUndefined()
  })

  it("market volume counts each match once (taker legs)", () => {
    let i = 0
    while (world.matchesOf(i) === 0) i++
    let taker = 0
    for (const tx of marketTxs(world, i)) for (const l of tx.logs) if (l.t === "fill" && l.leg.isTakerLeg) taker += l.leg.usdc
    expect(marketTruth(world, i).market.volume).toBe(marketInfo(world, i).hasVolumeKey ? taker / 1e6 : 0)
  })
})
