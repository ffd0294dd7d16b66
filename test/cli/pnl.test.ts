import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { TABLES } from "../../src/domain/tables.js"
import { makeClickHouse } from "../../src/layers/ClickHouseLive.js"
import { MIGRATIONS } from "../../src/layers/migrations/index.js"
import { ClickHouse } from "../../src/services/ClickHouse.js"
import { migrate } from "../../src/streams/migrate.js"
import { runCli } from "../support/cli.js"
import { dropDatabase, freshDatabaseName, testConnection, testServerUrl } from "../support/clickhouse.js"

/*
 * The README's worked example ("Wallet P&L"), through ClickHouse and the spawned CLI. Wallet A buys 101
 * YES at 0.40 in V1 (fee: 1 share, so 100 shares for 40.40), sells 60 at 0.55 (fee 0.33 USDC), then 50 at
 * 0.70: 10 more than it holds. B sold A the 101, C bought the 110 A sold. The market resolves NO.
 */
const A = "0x000000000000000000000000000000000000000a"
const B = "0x000000000000000000000000000000000000000b"
const C = "0x000000000000000000000000000000000000000c"
const CONDITION = `0x${"c".repeat(64)}`
const YES = "1000000000000000000000000000000000000000000000000000000000000000000000000001"
const NO = "1000000000000000000000000000000000000000000000000000000000000000000000000002"
const T0 = 1_777_000_000

const fill = (n: number, wallet: string, side: "BUY" | "SELL", size: number, price: number, fee: { shares?: number; usdc?: number }, taker: boolean) => {
  const usdc = Math.round(size * price * 1e6) / 1e6
  return {
    fill_id: `0x${String(n).padStart(64, "0")}_0x${String(n * 10 + (taker ? 1 : 0)).padStart(64, "0")}`,
    tx_hash: `0x${String(n).padStart(64, "0")}`,
    order_hash: `0x${String(n * 10 + (taker ? 1 : 0)).padStart(64, "0")}`,
    log_index: taker ? 5 : 3,
    block_number: 80_000_000 + n,
    timestamp: T0 + n * 60,
    exchange: "",
    era: "v1",
    maker: wallet,
    taker: taker ? "0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e" : A,
    maker_asset_id: side === "BUY" ? "0" : YES,
    taker_asset_id: side === "BUY" ? YES : "0",
    maker_amount_filled: String(Math.round((side === "BUY" ? usdc : size) * 1e6)),
    taker_amount_filled: String(Math.round((side === "BUY" ? size : usdc) * 1e6)),
    fee: String(Math.round((fee.shares ?? fee.usdc ?? 0) * 1e6)),
    fee_asset: fee.shares !== undefined ? "token" : "collateral",
    fee_shares: fee.shares ?? 0,
    fee_usdc: fee.usdc ?? 0,
    builder: "",
    metadata: "",
    wallet,
    side,
    token_id: YES,
    condition_id: CONDITION,
    outcome_index: 0,
    price,
    size,
    usdc,
    is_taker_leg: taker ? 1 : 0,
    source: "rpc",
    ingested_at: T0
  }
}

const FILLS = [
  fill(1, A, "BUY", 101, 0.4, { shares: 1 }, true),
  fill(1, B, "SELL", 101, 0.4, {}, false),
  fill(2, A, "SELL", 60, 0.55, { usdc: 0.33 }, true),
  fill(2, C, "BUY", 60, 0.55, {}, false),
  fill(3, A, "SELL", 50, 0.7, {}, true),
  fill(3, C, "BUY", 50, 0.7, {}, false)
]

const load = (database: string, rows: Record<string, ReadonlyArray<Record<string, unknown>>>) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const ch = yield* makeClickHouse(testConnection(database), { createDatabase: true })
        yield* Effect.provideService(migrate(MIGRATIONS, () => Effect.void), ClickHouse, ch)
        for (const [table, r] of Object.entries(rows)) yield* ch.insert(table, r)
      })
    )
  )

const query = (database: string, sql: string) =>
  Effect.runPromise(
    Effect.scoped(Effect.flatMap(makeClickHouse(testConnection(database)), (ch) => ch.query(sql, Schema.Struct({ realized_pnl: Schema.Number }))))
  )

describe("pnl rebuild, pnl wallet and leaderboard (spawned CLI, real ClickHouse)", () => {
  it("the README's worked example: rebuild swaps in 20.27 for A, pnl wallet and leaderboard show it; a duplicate fails the gate with exit 1", async () => {
    const database = freshDatabaseName("pnl_cli")
    const dir = mkdtempSync(join(tmpdir(), "pnl-snapshots-"))
    const env = { CLICKHOUSE_URL: testServerUrl() }
    const db = ["--database", database]
    try {
      await load(database, {
        [TABLES.markets]: [{ condition_id: CONDITION, question: "Will the worked example add up?", outcomes: ["Yes", "No"], token_ids: [YES, NO], resolution_status: "resolved", outcome_prices: [0, 1], resolved: 1, winning_outcome_index: 1, updated_at: T0 }],
        [TABLES.marketTokens]: [
          { token_id: YES, condition_id: CONDITION, outcome_index: 0, outcome: "Yes", winner: 0, updated_at: T0 },
          { token_id: NO, condition_id: CONDITION, outcome_index: 1, outcome: "No", winner: 1, updated_at: T0 }
        ],
        [TABLES.marketResolutions]: [{ condition_id: CONDITION, outcome_slot_count: 2, payout_numerators: ["0", "1"], payout_denominator: "1", winning_outcome_index: 1, is_void: 0, resolved_at: T0 + 3600, source: "rpc", updated_at: T0 }],
        [TABLES.clobFills]: FILLS
      })

      const rebuilt = await runCli(["pnl", "rebuild", "--snapshot-dir", dir, ...db], { env })
      expect(rebuilt.stderr).not.toContain("polybackfill:")
      expect(rebuilt.code).toBe(0)
      expect(rebuilt.stdout).toContain("gate conservation: ok")
      // A's last sell (10 shares, 7.00 USDC) and all of B's (101 shares it never bought, 40.40 USDC).
      expect(rebuilt.stdout).toContain("total realized P&L -47.73 USDC")
      expect(rebuilt.stdout).toContain("--oversell floor: 2 sells beyond the recorded holding, 47.40 USDC of volume")
      expect(rebuilt.stdout).toContain("swapped in")
      const [snapshotFile] = readdirSync(dir)
      expect(snapshotFile).toMatch(/^post_rebuild_snapshot_\d{8}T\d{6}Z\.json$/)
      const snapshot = JSON.parse(readFileSync(join(dir, snapshotFile!), "utf8"))
      expect(snapshot).toMatchObject({ swapped: true, wallets: 3, marketsResolved: 1, trades: 6, walletsWithoutResolvedMarket: 0 })
      // A won its one market (decile 9); B (0) and C (−68) did not (decile 0).
      expect(snapshot.winRateDeciles).toEqual([2, 0, 0, 0, 0, 0, 0, 0, 0, 1])
      expect(snapshot.gates.map((g: { name: string; passed: boolean }) => [g.name, g.passed])).toEqual([
        ["duplicates", true],
        ["one-hot", true],
        ["direction", true],
        ["conservation", true]
      ])

      const wallet = await runCli(["pnl", "wallet", A.toUpperCase().replace("0X", "0x"), "--format", "json", ...db], { env })
      expect(wallet.code).toBe(0)
      const [market] = JSON.parse(wallet.stdout).markets
      expect(market.question).toBe("Will the worked example add up?")
      expect(market.cost).toBeCloseTo(40.4, 6)
      expect(market.proceeds).toBeCloseTo(67.67, 6)
      expect(market.fees_usdc).toBeCloseTo(0.33, 6)
      expect(market.fees_shares).toBe(1)
      expect(market.realized_pnl).toBeCloseTo(20.27, 6)
      expect(market.oversold_sells).toBe(1)

      // B: sold 101 it never bought (floor: ignored, 0); C: paid 68 for 110 shares that lost (−68).
      const board = await runCli(["leaderboard", "--metric", "pnl", "--min-markets", "1", "--format", "csv", ...db], { env })
      expect(board.code).toBe(0)
      const lines = board.stdout.trim().split("\n")
      expect(lines[0]).toBe("wallet,rank,pnl_usdc,win_rate,omega,resolved,markets,volume_usdc,fees_usdc")
      expect(lines.slice(1).map((l) => l.split(",").slice(0, 5))).toEqual([
        [A, "1", "20.27", "1.000", "inf"],
        [B, "2", "0.00", "0.000", "0.000"],
        [C, "3", "-68.00", "0.000", "0.000"]
      ])

      const bad = await runCli(["pnl", "wallet", "0x123", ...db], { env })
      expect(bad.code).toBe(2) // a usage error (README: exit codes)
      expect(bad.stderr).toMatch(/^polybackfill: ADDRESS "0x123" is not a wallet address: give 0x followed by 40 hex digits\n$/)

      // A fill id held twice (another wallet): the gate refuses, exit 1, the previous tables still answer.
      await load(database, { [TABLES.clobFills]: [{ ...FILLS[5]!, wallet: B, maker: B }] })
      const refused = await runCli(["pnl", "rebuild", "--snapshot-dir", dir, ...db], { env })
      expect(refused.code).toBe(1)
      expect(refused.stdout).toContain("gate duplicates: FAILED")
      expect(refused.stdout).toContain(`  fill_id ${FILLS[5]!.fill_id}: 2 rows`)
      expect(refused.stderr).toMatch(/\npolybackfill: pnl rebuild: gate duplicates, conservation failed; nothing was swapped \(the previous tables still answer\)\n$/)
      const after = await query(database, `SELECT realized_pnl FROM wallet_market_pnl WHERE wallet = '${A}'`)
      expect(after).toHaveLength(1)
      expect(after[0]!.realized_pnl).toBeCloseTo(20.27, 6)
    } finally {
      rmSync(dir, { recursive: true, force: true })
      await Effect.runPromise(dropDatabase(database))
    }
  }, 120_000)
})
