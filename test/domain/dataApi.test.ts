import { describe, expect, it } from "@effect/vitest"
import { externalTradeId, readActivityRows } from "../../src/domain/dataApi.js"
import { externalTradeId as truthId } from "../../src/simulator/groundTruth.js"

// real-payloads.md 3.2, verbatim (row 2 as trimmed there).
const ROW1 = {"proxyWallet":"0x02227b8f5a9636e895607edd3185ed6ee5598ff7","timestamp":1772652627,"conditionId":"0x55aaedf58a379e677f1a72150605119fcbed1c4cb90d163d1bff2445053f4a18","type":"TRADE","size":1.8,"usdcSize":0.612,"transactionHash":"0x39468cf3830a9b50cf5fb3f9d564d31d9984d63f3db7e7c3bbde9d571d5826cd","price":0.34,"asset":"47360322818856779953484901624413028936225139926711290257453918602423436817642","side":"BUY","outcomeIndex":1,"title":"Will Manchester City FC win on 2026-03-04?","slug":"epl-mac-not-2026-03-04-mac","icon":"https://polymarket-upload.s3.us-east-2.amazonaws.com/Repetitive-markets/premier+league.jpg","eventSlug":"epl-mac-not-2026-03-04","outcome":"No","name":"HorizonSplendidView","pseudonym":"Glaring-Ethnicity","bio":"","profileImage":"","profileImageOptimized":""}
const ROW2 = {"proxyWallet":"0x02227b8f5a9636e895607edd3185ed6ee5598ff7","timestamp":1772652627,"conditionId":"0x55aaedf58a379e677f1a72150605119fcbed1c4cb90d163d1bff2445053f4a18","type":"TRADE","size":59595.47,"usdcSize":20262.4598,"transactionHash":"0x9b334a046f63f0c6f1328d4aa4e35c2c0220f521d7cd3eac1e36e20f238ef909","price":0.34,"asset":"47360322818856779953484901624413028936225139926711290257453918602423436817642","side":"BUY","outcomeIndex":1}
const REDEEM = {"proxyWallet":"0xfd9b763674cb096cacec059fcfe60ae82aae09e8","timestamp":1783529873,"conditionId":"0x945561381b820840a1876a9bbacc5e702c50a91ac40936870988d00159d281d6","type":"REDEEM","size":0,"usdcSize":0,"transactionHash":"0x83e3a30760ec2c4cc7a59a44cd54c64f486e8da924427ee7c46c2eb240ac26af","price":0,"asset":"","side":"","outcomeIndex":0}
// The 999 edge case: its ids are elided by the source, so ROW1's stand in for them.
const UNKNOWN_OUTCOME = { ...ROW1, size: 3.3012, usdcSize: 0.561204, price: 0.17, outcomeIndex: 999, outcome: "No" }

describe("Data-API /activity rows (real-payloads.md 3.2)", () => {
  it("decodes the real TRADE rows to their published values", () => {
    const read = readActivityRows([ROW1, ROW2], "v1")
    expect(read.malformed).toEqual([])
    expect(read.skipped).toBe(0)
    const [a, b] = read.trades
    expect(a).toMatchObject({
      wallet: "0x02227b8f5a9636e895607edd3185ed6ee5598ff7",
      side: "BUY",
      token_id: "47360322818856779953484901624413028936225139926711290257453918602423436817642",
      condition_id: "0x55aaedf58a379e677f1a72150605119fcbed1c4cb90d163d1bff2445053f4a18",
      outcome_index: 1,
      outcome: "No",
      size: 1.8,
      usdc: 0.612,
      timestamp: 1772652627,
      tx_hash: "0x39468cf3830a9b50cf5fb3f9d564d31d9984d63f3db7e7c3bbde9d571d5826cd",
      title: "Will Manchester City FC win on 2026-03-04?",
      slug: "epl-mac-not-2026-03-04-mac",
      source: "data-api-v1"
    })
    expect(a!.price).toBeCloseTo(0.34, 12)
    expect(b).toMatchObject({ size: 59595.47, usdc: 20262.4598, outcome_index: 1, outcome: "", title: "", timestamp: 1772652627 })
    expect(b!.price).toBeCloseTo(0.34, 12)
  })

  it("two trades of one wallet in one second with different transactions are two keys, the ground truth's", () => {
    const [a, b] = readActivityRows([ROW1, ROW2], "v1").trades
    expect(a!.timestamp).toBe(b!.timestamp)
    expect(a!.external_trade_id).not.toBe(b!.external_trade_id)
    expect(a!.external_trade_id).toBe(truthId(ROW1.transactionHash, ROW1.proxyWallet, ROW1.asset, ROW1.side))
    expect(b!.external_trade_id).toBe(
      "0x9b334a046f63f0c6f1328d4aa4e35c2c0220f521d7cd3eac1e36e20f238ef909_0x02227b8f5a9636e895607edd3185ed6ee5598ff7_47360322818856779953484901624413028936225139926711290257453918602423436817642_BUY"
    )
    // Rerun-stable: the same row gives the same key.
    expect(readActivityRows([ROW2], "v1").trades[0]!.external_trade_id).toBe(b!.external_trade_id)
    expect(externalTradeId("t", "w", "1", "SELL")).toBe(truthId("t", "w", "1", "SELL"))
  })

  it("a REDEEM row is counted and skipped, outcomeIndex 999 is kept as unknown (-1), a bad row is quarantined with its reason", () => {
    const read = readActivityRows([REDEEM, UNKNOWN_OUTCOME, { ...ROW1, transactionHash: "0x12" }], "v1")
    expect(read.skipped).toBe(1)
    expect(read.trades).toHaveLength(1)
    expect(read.trades[0]).toMatchObject({ outcome_index: -1, size: 3.3012, usdc: 0.561204 })
    expect(read.trades[0]!.price).toBeCloseTo(0.17, 12)
    expect(read.malformed).toHaveLength(1)
    expect(read.malformed[0]!.reason).toContain("transactionHash")
    expect(read.timestamps).toEqual([1783529873, 1772652627, 1772652627])
  })
})
