import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { useSimulator } from "../simulator/support.js"
import { runCli } from "../support/cli.js"

// The real logs of ../shared/real-payloads.md, through the exact code path of the onchain job.
const real = JSON.parse(readFileSync(new URL("../fixtures/realLogs.json", import.meta.url), "utf8")) as Record<string, unknown>
const dir = mkdtempSync(join(tmpdir(), "decode-log-"))
const file = (name: string, value: unknown) => {
  const path = join(dir, name)
  writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value))
  return path
}
const lines = (stdout: string) => stdout.trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, any>)

describe("polybackfill decode-log", () => {
  // Its chain reaches past the blocks of the real logs (up to 2026-09), so their timestamps can be read.
  const ctx = useSimulator({ world: { markets: 10, from: "2026-04-27", to: "2026-09-30", fills: 100 } })

  it("the NegRisk matched transaction: maker leg SELL 10 @ 0.33, taker leg BUY flagged; OrdersMatched named as not written", async () => {
    const r = await runCli(["decode-log", file("matched.json", real.negRiskMatched), "--rpc-url", ctx.sim.rpcUrl])
    expect(r.code, r.stderr).toBe(0)
    const rows = lines(r.stdout)
    expect(rows.map((x) => [x.table, x.side, x.size, x.usdc, x.is_taker_leg])).toEqual([
      ["clob_fills", "SELL", 10, 3.3, 0],
      ["clob_fills", "BUY", 10, 3.3, 1]
    ])
    expect(rows[0]!.price).toBeCloseTo(0.33, 12)
    expect(rows.filter((x) => x.is_taker_leg === 1).reduce((s, x) => s + x.usdc, 0)).toBeCloseTo(3.3, 12)
    expect(r.stderr).toContain("log 2: not written: an event with topic0 0x63bf4d16")
  })

  it("the V2 fill, the resolution and the USDC.e transfer, from one file", async () => {
    const r = await runCli(["decode-log", file("three.json", [real.v2Fill, real.resolution, real.usdceTransfer]), "--rpc-url", ctx.sim.rpcUrl])
    expect(r.code, r.stderr).toBe(0)
    const [fill, resolution, transfer] = lines(r.stdout)
    expect(fill).toMatchObject({ table: "clob_fills", era: "v2", side: "SELL", size: 4.18, fee: "0", fee_asset: "collateral", timestamp: 1_784_965_486 })
    expect(fill!.price).toBeCloseTo(0.94, 12)
    expect(resolution).toMatchObject({ table: "market_resolutions", payout_numerators: ["1", "0"], winning_outcome_index: 0, payout_denominator: "1" })
    expect(transfer).toMatchObject({ table: "erc20_transfers", amount: "5050504", from_address: "0x4d97dcd97ec945f40cf65f87097ace5ea0476045" })
  })

  it("without an RPC URL, a log with no timestamp is quarantined with the hint; bad JSON is one line and a failure", async () => {
    const r = await runCli(["decode-log", file("resolution.json", real.resolution)])
    expect(r.code, r.stderr).toBe(0)
    expect(lines(r.stdout)).toEqual([
      expect.objectContaining({ table: "quarantine", reason: "no timestamp known for block 90715113 (pass --rpc-url to read it from the chain)" })
    ])
    const bad = await runCli(["decode-log", file("bad.json", "{not json")])
    expect(bad.code).toBeGreaterThan(0)
    expect(bad.stderr.trim().split("\n")).toHaveLength(1)
    expect(bad.stderr).toContain("is not JSON: give one eth_getLogs log object or an array of them")
  })
})
