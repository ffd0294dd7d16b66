import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { CHAIN_KINDS } from "../../src/domain/chainEras.js"
import type { DecodeContext } from "../../src/domain/chainLogs.js"
import { decodeLogs } from "../../src/domain/chainLogs.js"

// Values marked [SRC] in ../shared/real-payloads.md: what the logs' publishers decoded.
const real = JSON.parse(readFileSync(new URL("../fixtures/realLogs.json", import.meta.url), "utf8")) as Record<string, any>

const ctx = (timestampOf: (block: number) => number | undefined = () => 1_700_000_000): DecodeContext => ({
  kinds: CHAIN_KINDS,
  tokens: new Map(),
  now: 1,
  timestampOf
})

describe("decodeLogs on real logs", () => {
  it("the NegRisk matched transaction: maker leg SELL 10 @ 0.33, taker leg BUY 10 @ 0.33, volume once 3.3", () => {
    const out = decodeLogs(real.negRiskMatched, ctx())
    expect(out.quarantine).toEqual([])
    const fills = out.rows.filter((r) => r.kind === "fills").map((r) => r.row as any)
    expect(fills).toHaveLength(2)
    const [maker, taker] = fills
    expect(maker).toMatchObject({
      side: "SELL",
      wallet: "0x3cf3e8d5427aed066a7a5926980600f6c3cf87b3",
      taker: "0xd42f6a1634a3707e27cbae14ca966068e5d1047d",
      maker_asset_id: "50315837024432334213827041057729556211989649223066002327303150792784314280840",
      taker_asset_id: "0",
      maker_amount_filled: "10000000",
      taker_amount_filled: "3300000",
      fee: "0",
      size: 10,
      usdc: 3.3,
      is_taker_leg: 0,
      log_index: 25,
      block_number: 51866068,
      exchange: "0xc5d563a36ae78145c45a50134d48a1215220f80a",
      era: "v1",
      source: "rpc"
    })
    expect(maker.price).toBeCloseTo(0.33, 12)
    expect(taker).toMatchObject({ side: "BUY", wallet: "0xd42f6a1634a3707e27cbae14ca966068e5d1047d", size: 10, usdc: 3.3, is_taker_leg: 1, log_index: 27 })
    expect(taker.price).toBeCloseTo(0.33, 12)
    const volume = fills.filter((f) => f.is_taker_leg === 1).reduce((s, f) => s + f.usdc, 0)
    expect(volume).toBeCloseTo(3.3, 12)
    // OrdersMatched is not a row of any table: it is counted as ignored, with why.
    expect(out.ignored).toHaveLength(1)
  })

  it("the V2 fill: SELL 4.18 @ 0.94, fee 0 in collateral, block 90,840,326 at 1,784,965,486", () => {
    const out = decodeLogs([real.v2Fill], ctx(() => undefined))
    const fill = out.rows[0]!.row as any
    expect(fill).toMatchObject({
      era: "v2",
      side: "SELL",
      token_id: "92995309462039665251203590892224533684024782310651466832592596015862972883776",
      size: 4.18,
      fee: "0",
      fee_asset: "collateral",
      is_taker_leg: 0,
      block_number: 90_840_326,
      timestamp: 1_784_965_486,
      builder: "0x" + "0".repeat(64)
    })
    expect(fill.price).toBeCloseTo(0.94, 12)
  })

  it("the ConditionResolution: payouts [1, 0], slot 0 won, denominator 1", () => {
    const out = decodeLogs([real.resolution], ctx())
    expect(out.rows[0]!.row).toMatchObject({
      condition_id: "0xda4bfca4a2f26cce689ac3e2b89cc60a17fb0b994ee79f61ec8beb65f6886236",
      oracle: "0x65070be91477460d8a7aeeb94ef92fe056c2f2a7",
      outcome_slot_count: 2,
      payout_numerators: ["1", "0"],
      payout_denominator: "1",
      winning_outcome_index: 0,
      is_void: 0,
      block_number: 90_715_113
    })
  })

  it("the USDC.e transfer: 5.050504 from the CTF, block 87,004,000 at 2026-05-17T05:45:08Z", () => {
    const out = decodeLogs([real.usdceTransfer], ctx(() => undefined))
    const row = out.rows[0]!.row as any
    expect(row).toMatchObject({
      from_address: "0x4d97dcd97ec945f40cf65f87097ace5ea0476045",
      to_address: "0x6c7e2de5b9d1565793f3757ab568b973413c6816",
      amount: "5050504",
      block_number: 87_004_000
    })
    expect(Number(row.amount) / 1e6).toBe(5.050504)
    expect(new Date(row.timestamp * 1000).toISOString()).toBe("2026-05-17T05:45:08.000Z")
  })
})

describe("decodeLogs identity and bad input", () => {
  const fill = real.negRiskMatched[0]
  it("two fills of one order in one transaction are two rows; the last keeps the subgraph's id", () => {
    const second = { ...fill, logIndex: 40 }
    const out = decodeLogs([fill, second], ctx())
    const ids = out.rows.map((r) => (r.row as any).fill_id)
    const base = `${fill.transactionHash}_${fill.topics[1]}`
    expect(ids).toEqual([`${base}_1`, base])
  })

  it("a log that does not decode, or whose amount passes UInt64, is quarantined with its reason; the others land", () => {
    const truncated = { ...fill, data: fill.data.slice(0, 66) }
    const huge = { ...fill, logIndex: 99, data: fill.data.slice(0, 130) + "f".repeat(64) + fill.data.slice(194) }
    const noTopics = { ...fill, topics: [] }
    const out = decodeLogs([truncated, huge, noTopics, real.resolution], ctx())
    expect(out.rows.map((r) => r.kind)).toEqual(["resolutions"])
    expect(out.quarantine.map((q) => q.reason)).toEqual([
      expect.stringMatching(/^undecodable fill log/),
      expect.stringMatching(/^value out of range: makerAmountFilled \d+ does not fit UInt64/),
      "malformed log: topics is not a non-empty list of 32-byte hex words"
    ])
    expect(JSON.parse(out.quarantine[0]!.raw)).toEqual(truncated)
  })

  it("a kind not asked for is ignored and counted, not quarantined", () => {
    const out = decodeLogs([fill, real.resolution], { ...ctx(), kinds: ["resolutions"] })
    expect(out.rows.map((r) => r.kind)).toEqual(["resolutions"])
    expect(out.ignored.map((i) => i.reason)).toEqual(["an OrderFilled, and fills are not among --kinds"])
  })
})
