import { describe, expect, it } from "vitest"
import type { ExternalTradeTruth } from "../../src/simulator/groundTruth.js"
import { externalTradeId, externalTradeTruthsOfWallet, V2_MIN_SHARES_RAW } from "../../src/simulator/groundTruth.js"
import { ghostMarkets } from "../../src/simulator/ghost.js"
import { walletAddress } from "../../src/simulator/market.js"
import { walletIndex } from "../../src/simulator/walletIndex.js"
import type { World } from "../../src/simulator/world.js"
import { getJson, SMALL_WORLD, useSimulator } from "./support.js"

/** What a client derives from a v1 activity row or v2 trade row. */
const fromV1 = (r: any): Partial<ExternalTradeTruth> => ({
  external_trade_id: externalTradeId(r.transactionHash, r.proxyWallet, r.asset, r.side),
  wallet: r.proxyWallet,
  side: r.side,
  token_id: r.asset,
  condition_id: r.conditionId,
  outcome_index: r.outcomeIndex === 999 ? -1 : r.outcomeIndex,
  outcome: r.outcome,
  price: r.price,
  size: r.size,
  usdc: r.usdcSize,
  timestamp: r.timestamp,
  tx_hash: r.transactionHash,
  title: r.title,
  slug: r.slug
})

const fromV2 = (r: any): Partial<ExternalTradeTruth> => ({
  external_trade_id: externalTradeId(r.transaction_hash, r.proxy_wallet, r.token_id, r.side),
  wallet: r.proxy_wallet,
  side: r.side,
  token_id: r.token_id,
  condition_id: r.condition_id,
  outcome_index: r.outcome_index === 999 ? -1 : r.outcome_index,
  outcome: r.outcome,
  price: r.price,
  size: r.size,
  usdc: r.usdc_size,
  timestamp: r.timestamp,
  tx_hash: r.transaction_hash,
  title: r.title,
  slug: r.slug
})

const strip = (t: ExternalTradeTruth): Partial<ExternalTradeTruth> => {
  const { source: _s, ...rest } = t
  return rest
}

const byId = (a: Partial<ExternalTradeTruth>, b: Partial<ExternalTradeTruth>) => (a.external_trade_id! < b.external_trade_id! ? -1 : 1)

/** A wallet with a ghost trade and a moderate number of trades. */
const pickWallet = (world: World): number => {
  const idx = walletIndex(world)
  const ghostWallets = new Set(ghostMarkets(world).flatMap((g) => g.trades.map((t) => t.wallet)))
  let best = -1
  for (let w = 0; w < world.walletCount; w++) {
    const n = idx.count(w)
    if (ghostWallets.has(w) && n > 40 && n < 400 && (best < 0 || n > idx.count(best))) best = w
  }
  return best
}

describe("data-api", () => {
  const ctx = useSimulator({ world: SMALL_WORLD })

  it("v1 /activity paged by offset returns exactly the wallet's ground truth trades (with ghost markets)", async () => {
    const w = pickWallet(ctx.sim.world)
    expect(w).toBeGreaterThanOrEqual(0)
    const user = walletAddress(ctx.sim.world, w)
    const rows: Array<any> = []
    for (let offset = 0; ; offset += 50) {
      const { status, body, headers } = await getJson(`${ctx.sim.dataApiUrl}/activity?user=${user}&limit=50&offset=${offset}&start=1`)
      expect(status).toBe(200)
      expect(headers.get("x-trace-id")).toBeTruthy()
      rows.push(...body)
      if (body.length < 50) break
    }
    expect(rows.every((r) => r.type === "TRADE")).toBe(true)
    const ts = rows.map((r) => r.timestamp)
    expect(ts).toEqual([...ts].sort((a, b) => b - a))
    const truth = externalTradeTruthsOfWallet(ctx.sim.world, w, "v1").map(strip)
    expect(rows.map(fromV1).sort(byId)).toEqual(truth.sort(byId))
    expect(rows.some((r) => r.outcomeIndex === 999)).toBe(true)
  })

  it("v2 /v2/activity cursor envelope to the end equals the ground truth", async () => {
    const w = pickWallet(ctx.sim.world)
    const user = walletAddress(ctx.sim.world, w)
    const rows: Array<any> = []
    let cursor: string | null = null
    for (let guard = 0; guard < 100; guard++) {
      const { status, body } = await getJson(`${ctx.sim.dataApiUrl}/v2/activity?user=${user}&limit=40${cursor !== null ? `&cursor=${cursor}` : ""}`)
      expect(status).toBe(200)
      expect(Object.keys(body.pagination).sort()).toEqual(["has_more", "limit", "next_cursor", "offset"])
      rows.push(...body.data)
      cursor = body.pagination.next_cursor
      if (cursor === null) break
    }
    const truth = externalTradeTruthsOfWallet(ctx.sim.world, w, "v1").map(strip)
    expect(rows.map(fromV2).sort(byId)).toEqual(truth.sort(byId))
  })

  it("v2 /v2/trades: taker_only false and the 0.01-share floor", async () => {
    const w = pickWallet(ctx.sim.world)
    const user = walletAddress(ctx.sim.world, w)
    const rows: Array<any> = []
    let cursor: string | null = null
    for (let guard = 0; guard < 100; guard++) {
      const { body } = await getJson(`${ctx.sim.dataApiUrl}/v2/trades?user=${user}&taker_only=false&limit=100${cursor !== null ? `&cursor=${cursor}` : ""}`)
      rows.push(...body.data)
      cursor = body.pagination.next_cursor
      if (cursor === null) break
    }
    const truth = externalTradeTruthsOfWallet(ctx.sim.world, w, "v2")
    expect(truth.every((t) => t.size * 1e6 >= V2_MIN_SHARES_RAW)).toBe(true)
    expect(rows.map((r) => fromV2({ ...r, usdc_size: undefined })).map((r) => r.external_trade_id).sort()).toEqual(
      truth.map((t) => t.external_trade_id).sort()
    )
  })

  it("v1 /trades defaults to taker trades only", async () => {
    const w = pickWallet(ctx.sim.world)
    const user = walletAddress(ctx.sim.world, w)
    const { body: taker } = await getJson(`${ctx.sim.dataApiUrl}/trades?user=${user}&limit=10000`)
    const { body: all } = await getJson(`${ctx.sim.dataApiUrl}/trades?user=${user}&limit=10000&takerOnly=false`)
    expect(all.length).toBe(externalTradeTruthsOfWallet(ctx.sim.world, w, "v1").length)
    expect(taker.length).toBeLessThan(all.length)
    expect(Object.keys(all[0])).toEqual(
      ["proxyWallet", "side", "asset", "conditionId", "size", "price", "timestamp", "title", "slug", "icon", "eventSlug", "outcome", "outcomeIndex", "name", "pseudonym", "bio", "profileImage", "profileImageOptimized", "transactionHash"]
    )
  })

  it("caps and errors: /activity needs user, offset > 5000 is 400, limit clamps to 500, v2 rejects offset with the JSON body", async () => {
    const user = walletAddress(ctx.sim.world, 0)
    expect((await getJson(`${ctx.sim.dataApiUrl}/activity`)).status).toBe(400)
    expect((await getJson(`${ctx.sim.dataApiUrl}/activity?user=${user}&offset=5001`)).status).toBe(400)
    expect((await getJson(`${ctx.sim.dataApiUrl}/activity?user=${user}&offset=5000`)).status).toBe(200)
    const big = await getJson(`${ctx.sim.dataApiUrl}/activity?user=${user}&limit=2000&start=1`)
    expect(big.body.length).toBeLessThanOrEqual(500)
    const v2 = await getJson(`${ctx.sim.dataApiUrl}/v2/trades?user=${user}&offset=10`)
    expect(v2.status).toBe(400)
    expect(v2.body).toMatchObject({ code: "invalid_request", retryable: false, parameter: "offset" })
    expect(v2.body.trace_id).toBe(v2.headers.get("x-trace-id"))
    const pair = await getJson(`${ctx.sim.dataApiUrl}/trades?user=${user}&filterType=CASH`)
    expect(pair.status).toBe(400)
    const first = await getJson(`${ctx.sim.dataApiUrl}/v2/trades?user=${user}&limit=5&taker_only=false`)
    const mismatched = await getJson(`${ctx.sim.dataApiUrl}/v2/trades?user=${user}&limit=5&cursor=${first.body.pagination.next_cursor}`)
    expect(mismatched.status).toBe(400)
    expect(mismatched.body.parameter).toBe("cursor")
  })
})
