import { expect } from "vitest"
import { Effect, Schema } from "effect"
import { existsSync, readFileSync } from "node:fs"
import { resolve } from "node:path"
import { ClickHouse } from "../../src/services/ClickHouse.js"
import type { ExternalTradeTruth } from "../../src/simulator/index.js"
import {
  externalTradeTruthsOfWallet,
  fillTruthsInBlocks,
  floorPnlOfGhostMarkets,
  floorPnlOfMarket,
  marketInfo,
  shortPnlOfResolvedMarket,
  walletAddress,
  World,
  worldConfig
} from "../../src/simulator/index.js"
import { runCli } from "../support/cli.js"
import { expectSameTrades } from "../streams/jobs/support.js"

/**
 * The demo test's world and what the simulator's ledger says the demo must show for it: the trades
 * job's wallets, their Data-API trades, the ghost markets they add, and every wallet's P&L per market.
 * Nothing here reads the code under test.
 */

/** `--top`: fewer than the world's wallets, so the plan's ranking by CLOB volume is part of what is checked. */
export const TOP = 20
export const DEMO_ARGS = ["demo", "--markets", "60", "--wallets", "30", "--top", String(TOP)]
export const world = new World(worldConfig({ markets: 60, wallets: 30, from: "2026-04-21", to: "2026-05-05" }))
export const fills = [...fillTruthsInBlocks(world, world.firstBlock, world.headBlock)]

/** The TOP wallets by the volume of their own fill rows (each row is one order leg of its wallet). */
const planned: ReadonlySet<string> = (() => {
  const volume = new Map<string, number>()
  for (const f of fills) volume.set(f.wallet, (volume.get(f.wallet) ?? 0) + f.usdc)
  return new Set([...volume].sort((a, b) => b[1] - a[1]).slice(0, TOP).map(([w]) => w))
})()

export const externalTruth: ReadonlyArray<ExternalTradeTruth> = Array.from({ length: world.walletCount }, (_, w) => w)
  .filter((w) => planned.has(walletAddress(world, w)))
  .flatMap((w) => externalTradeTruthsOfWallet(world, w))

/** Data-API rows of markets with no CLOB fill: the ghost markets pm_trades_with_external shows. */
const clobMarkets = new Set(fills.map((f) => f.condition_id))
export const ghostTruth = externalTruth.filter((t) => !clobMarkets.has(t.condition_id))

interface WalletTruth {
  readonly markets: Map<string, number>
  pnl: number
  resolved: number
  gains: number
  losses: number
}

/** Every wallet's realized P&L per market under `--oversell floor`; ghost markets only for the planned wallets. */
const pnlTruth: ReadonlyMap<string, WalletTruth> = (() => {
  const out = new Map<string, WalletTruth>()
  const add = (wallet: string, conditionId: string, pnl: number, resolved: boolean) => {
    const w = out.get(wallet) ?? { markets: new Map(), pnl: 0, resolved: 0, gains: 0, losses: 0 }
    w.markets.set(conditionId, pnl)
    w.pnl += pnl
    if (resolved) {
      w.resolved++
      if (pnl > 0) w.gains += pnl
      else w.losses -= pnl
    }
    out.set(wallet, w)
  }
  for (let i = 0; i < world.marketCount; i++) {
    const resolved = shortPnlOfResolvedMarket(world, i) !== undefined
    for (const [wallet, pnl] of floorPnlOfMarket(world, i)) add(wallet, marketInfo(world, i).conditionId, pnl, resolved)
  }
  for (const [conditionId, wallets] of floorPnlOfGhostMarkets(world)) {
    for (const [wallet, pnl] of wallets) if (planned.has(wallet)) add(wallet, conditionId, pnl, false)
  }
  return out
})()

/** The leaderboard by Omega as documented: wallets with 10+ resolved markets, no loss ranks first, ties by P&L. */
const omega = (w: WalletTruth) => (w.losses > 0 ? w.gains / w.losses : w.gains > 0 ? Infinity : 0)
const leaderboardTruth = [...pnlTruth]
  .filter(([, w]) => w.resolved >= 10)
  .sort(([a, x], [b, y]) => omega(y) - omega(x) || y.pnl - x.pnl || (a < b ? -1 : 1))
  .slice(0, 10)

const CENT = 0.005

/** What the demo prints about the trades job, the rebuild and the leaderboard, against the ledger; returns the snapshot's path. */
export const expectReportMatchesTruth = (out: string, cwd: string): string => {
  expect(out).toContain(`trades: ${TOP} of ${TOP} units done`)
  expect(out).toMatch(new RegExp(`external_trades_raw\\s+${externalTruth.length.toLocaleString("en-US")}\\n`))
  const pairs = [...pnlTruth.values()].reduce((n, w) => n + w.markets.size, 0)
  expect(out).toMatch(new RegExp(`wallet_market_pnl\\s+${pairs.toLocaleString("en-US")}\\n`))
  expect(out).toMatch(new RegExp(`wallet_leaderboard\\s+${pnlTruth.size}\\n`))
  const ghosts = new Set(ghostTruth.map((t) => t.condition_id)).size
  expect(ghosts).toBeGreaterThan(0)
  expect(out).toContain(`the Data-API, asked for the trades of the ${TOP} wallets with the most CLOB volume, added ${ghosts} ghost markets (${ghostTruth.length} trades`)

  // The gate passed: four lines, each with its value and threshold, and the snapshot says so too.
  expect(out).toContain("pnl rebuild (")
  expect(out).toContain("gate passed, swapped in wallet_market_pnl and wallet_leaderboard")
  expect(out.match(/^ {2}gate (duplicates|one-hot|direction|conservation): ok, value [\d.]+ \(threshold (<=|>=) [\d.]+\): /gm)).toHaveLength(4)
  const path = /^ {2}snapshot: (\S+)$/m.exec(out)?.[1]
  expect(path).toMatch(/post_rebuild_snapshot_\d{8}T\d{6}Z\.json$/)
  const file = resolve(cwd, path!)
  expect(existsSync(file)).toBe(true)
  const snapshot = JSON.parse(readFileSync(file, "utf8")) as { swapped: boolean; trades: number; gates: ReadonlyArray<{ passed: boolean }> }
  expect(snapshot.swapped).toBe(true)
  expect(snapshot.gates.map((g) => g.passed)).toEqual([true, true, true, true])
  expect(snapshot.trades).toBe(fills.length + ghostTruth.length)

  // The top 10 by Omega, in the ledger's order, with its P&L to the cent.
  const rows = [...out.matchAll(/^ {2}(0x[0-9a-f]{40}) +(\d+) +(-?[\d.]+) +[\d.]+ +(?:inf|[\d.]+) +(\d+) /gm)]
  expect(leaderboardTruth.length).toBeGreaterThan(3)
  expect(rows.map((r) => r[1])).toEqual(leaderboardTruth.map(([wallet]) => wallet))
  rows.forEach((r, i) => {
    const [, w] = leaderboardTruth[i]!
    expect(Number(r[2])).toBe(i + 1)
    expect(Math.abs(Number(r[3]) - w.pnl)).toBeLessThanOrEqual(CENT + 1e-9)
    expect(Number(r[4])).toBe(w.resolved)
  })
  return file
}

/** Runs the `pnl wallet` command the demo printed for its top wallet; each of its markets' P&L is the ledger's. */
export const expectTopWalletMatchesTruth = async (out: string, env: Record<string, string>) => {
  const command = /the top wallet's markets: `polybackfill (pnl wallet [^`]+)`/.exec(out)?.[1]
  const [top] = leaderboardTruth[0]!
  expect(command).toContain(`pnl wallet ${top} --database `)
  const shown = await runCli([...command!.split(" "), "--format", "json"], { env })
  expect(shown.code, shown.stderr).toBe(0)
  const got = JSON.parse(shown.stdout) as { wallet: string; markets: ReadonlyArray<{ condition_id: string; realized_pnl: number }> }
  const truth = pnlTruth.get(top)!.markets
  expect(new Set(got.markets.map((m) => m.condition_id))).toEqual(new Set(truth.keys()))
  expect(got.markets.filter((m) => Math.abs(m.realized_pnl - truth.get(m.condition_id)!) > CENT)).toEqual([])
}

const ExternalRow = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** external_trades_raw after FINAL: exactly the planned wallets' Data-API trades. */
export const expectExternalRowsMatchTruth = Effect.gen(function* () {
  const ch = yield* ClickHouse
  const rows = yield* ch.query(
    "SELECT external_trade_id, wallet, side, token_id, condition_id, outcome_index, outcome, price, size, usdc, toUInt32(timestamp) AS timestamp, " +
      "tx_hash, title, slug, source FROM external_trades_raw FINAL",
    ExternalRow
  )
  expectSameTrades(rows, externalTruth)
})
