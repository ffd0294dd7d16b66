import { describe, expect, it } from "vitest"
import { V2_GENESIS_TIMESTAMP } from "../../src/domain/polygon.js"
import type { FillTruth } from "../../src/simulator/groundTruth.js"
import { fillTruthsOfMarket } from "../../src/simulator/groundTruth.js"
import { marketInfo } from "../../src/simulator/market.js"
import { postJson, SMALL_WORLD, useSimulator } from "./support.js"

const FIELDS = "id transactionHash timestamp orderHash maker taker makerAssetId takerAssetId makerAmountFilled takerAmountFilled fee"

/** poly_data's method: timestamp_gt, and when a page is full, the sticky {timestamp: T, id_gt} query. */
const pageAll = async (url: string, extraWhere: string): Promise<Array<any>> => {
  const rows: Array<any> = []
  let lastTs = 0
  let sticky: { ts: string; id: string } | undefined
  for (let guard = 0; guard < 1000; guard++) {
    const where = sticky !== undefined ? `{timestamp: "${sticky.ts}", id_gt: "${sticky.id}", ${extraWhere}}` : `{timestamp_gt: "${lastTs}", ${extraWhere}}`
    const query = `{ orderFilledEvents(first: 50, orderBy: ${sticky !== undefined ? "id" : "timestamp"}, orderDirection: asc, where: ${where}) { ${FIELDS} } }`
    const { status, body } = await postJson(url, { query })
    expect(status).toBe(200)
    expect(body.errors).toBeUndefined()
    const page = body.data.orderFilledEvents as Array<any>
    rows.push(...page)
    if (sticky !== undefined) {
      if (page.length === 50) sticky = { ts: sticky.ts, id: page[page.length - 1].id }
      else {
        lastTs = Number(sticky.ts)
        sticky = undefined
      }
    } else if (page.length === 50) {
      const t = page[page.length - 1].timestamp
      // Rows of the last timestamp may continue on the next page: drop them here and fetch them sticky.
      while (rows.length > 0 && rows[rows.length - 1].timestamp === t) rows.pop()
      sticky = { ts: t, id: "" }
    } else break
  }
  return rows
}

const asTruth = (e: any): Partial<FillTruth> => ({
  fill_id: e.id,
  tx_hash: e.transactionHash,
  order_hash: e.orderHash,
  timestamp: Number(e.timestamp),
  maker: e.maker,
  taker: e.taker,
  maker_asset_id: e.makerAssetId,
  taker_asset_id: e.takerAssetId,
  maker_amount_filled: e.makerAmountFilled,
  taker_amount_filled: e.takerAmountFilled,
  fee: e.fee
})

const pick = (t: FillTruth): Partial<FillTruth> => ({
  fill_id: t.fill_id,
  tx_hash: t.tx_hash,
  order_hash: t.order_hash,
  timestamp: t.timestamp,
  maker: t.maker,
  taker: t.taker,
  maker_asset_id: t.maker_asset_id,
  taker_asset_id: t.taker_asset_id,
  maker_amount_filled: t.maker_amount_filled,
  taker_amount_filled: t.taker_amount_filled,
  fee: t.fee
})

const byId = (a: { fill_id?: string }, b: { fill_id?: string }) => (a.fill_id! < b.fill_id! ? -1 : 1)

describe("goldsky orderbook subgraph", () => {
  const ctx = useSimulator({ world: SMALL_WORLD })

  const busiestV1Market = () => {
    let best = -1
    let bestCount = -1
    for (let i = 0; i < ctx.sim.world.marketCount; i++) {
      const n = fillTruthsOfMarket(ctx.sim.world, i, "goldsky").length
      if (n > bestCount) (best = i), (bestCount = n)
    }
    return best
  }

  it("per market (or of makerAssetId_in / takerAssetId_in), sticky paging returns exactly the V1 ground truth", async () => {
    const i = busiestV1Market()
    const tokens = JSON.stringify(marketInfo(ctx.sim.world, i).tokenIds)
    const rows = await pageAll(ctx.sim.goldskyUrl, `or: [{makerAssetId_in: ${tokens}}, {takerAssetId_in: ${tokens}}]`)
    const truth = fillTruthsOfMarket(ctx.sim.world, i, "goldsky")
    expect(truth.length).toBeGreaterThan(60)
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length)
    expect(rows.map(asTruth).sort(byId)).toEqual(truth.map(pick).sort(byId))
    expect(rows.every((r) => Number(r.timestamp) < V2_GENESIS_TIMESTAMP)).toBe(true)
  })

  it("two queries (makerAssetId_in, then takerAssetId_in) cover the market too", async () => {
    const i = busiestV1Market()
    const tokens = JSON.stringify(marketInfo(ctx.sim.world, i).tokenIds)
    const a = await pageAll(ctx.sim.goldskyUrl, `makerAssetId_in: ${tokens}`)
    const b = await pageAll(ctx.sim.goldskyUrl, `takerAssetId_in: ${tokens}`)
    const ids = new Set([...a, ...b].map((r) => r.id))
    expect(ids.size).toBe(fillTruthsOfMarket(ctx.sim.world, i, "goldsky").length)
  })

  it("field types: BigInt as strings, collateral asset id \"0\", id = txHash_orderHash", async () => {
    const { body } = await postJson(ctx.sim.goldskyUrl, { query: `{ orderFilledEvents(first: 20, orderBy: timestamp) { ${FIELDS} } }` })
    const rows = body.data.orderFilledEvents as Array<any>
    expect(rows.length).toBe(20)
    for (const r of rows) {
      expect(r.id).toBe(`${r.transactionHash}_${r.orderHash}`)
      for (const k of ["timestamp", "makerAmountFilled", "takerAmountFilled", "fee"]) expect(r[k]).toMatch(/^\d+$/)
      expect(r.makerAssetId === "0" || r.takerAssetId === "0").toBe(true)
      expect(r.maker).toMatch(/^0x[0-9a-f]{40}$/)
    }
  })

  it("variables, aliases and _meta", async () => {
    const { body } = await postJson(ctx.sim.goldskyUrl, {
      query: "query Q($n: Int!, $t: BigInt) { fills: orderFilledEvents(first: $n, where: {timestamp_gt: $t}) { id } _meta { block { number timestamp } } }",
      variables: { n: 3, t: "0" }
    })
    expect(body.data.fills.length).toBe(3)
    expect(body.data._meta.block.timestamp).toBeLessThan(V2_GENESIS_TIMESTAMP)
  })

  it("errors the GraphQL way: first > 1000, unknown fields, syntax errors", async () => {
    const tooMany = await postJson(ctx.sim.goldskyUrl, { query: "{ orderFilledEvents(first: 5000) { id } }" })
    expect(tooMany.body.errors[0].message).toBe("The `first` argument must be between 0 and 1000, but is 5000")
    expect(tooMany.body.data).toBeUndefined()
    const field = await postJson(ctx.sim.goldskyUrl, { query: "{ orderFilledEvents(first: 1) { price } }" })
    expect(field.body.errors[0].message).toMatch(/no field `price`/)
    const filter = await postJson(ctx.sim.goldskyUrl, { query: "{ orderFilledEvents(first: 1, where: {size_gt: 1}) { id } }" })
    expect(filter.body.errors[0].message).toMatch(/OrderFilledEvent_filter/)
    const syntax = await postJson(ctx.sim.goldskyUrl, { query: "{ orderFilledEvents(first: 1 { id } }" })
    expect(syntax.body.errors[0].message).toMatch(/Syntax Error/)
    const entity = await postJson(ctx.sim.goldskyUrl, { query: "{ trades { id } }" })
    expect(entity.body.errors[0].message).toMatch(/no field `trades`/)
  })

  it("maker / taker filters and desc order", async () => {
    const { body } = await postJson(ctx.sim.goldskyUrl, { query: `{ orderFilledEvents(first: 1, orderBy: timestamp) { maker } }` })
    const maker = body.data.orderFilledEvents[0].maker
    const mine = await postJson(ctx.sim.goldskyUrl, {
      query: `{ orderFilledEvents(first: 1000, orderBy: timestamp, orderDirection: desc, where: {maker: "${maker}"}) { maker timestamp } }`
    })
    const rows = mine.body.data.orderFilledEvents as Array<any>
    expect(rows.length).toBeGreaterThan(0)
    expect(rows.every((r) => r.maker === maker)).toBe(true)
    const ts = rows.map((r) => Number(r.timestamp))
    expect(ts).toEqual([...ts].sort((a, b) => b - a))
  })
})
