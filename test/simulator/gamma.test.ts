import { describe, expect, it } from "vitest"
import { marketTruth } from "../../src/simulator/groundTruth.js"
import { getJson, SMALL_WORLD, useSimulator } from "./support.js"

const parseClosedTime = (s: string): number => Date.parse(s.replace(" ", "T").replace(/\+00$/, "Z")) / 1000

/** What a client derives from one Gamma market object (the fact sheet's rules). */
const derive = (m: any) => {
  const outcomes = JSON.parse(m.outcomes) as Array<string>
  const tokens = JSON.parse(m.clobTokenIds) as Array<string>
  const prices = (JSON.parse(m.outcomePrices) as Array<string>).map(Number)
  const resolved = m.umaResolutionStatus === "resolved"
  const isVoid = resolved && prices.every((p) => p === 0.5)
  return {
    condition_id: m.conditionId,
    market_id: m.id,
    question_id: m.questionID,
    question: m.question,
    slug: m.slug,
    event_slug: m.events?.[0]?.slug ?? "",
    outcomes,
    token_ids: tokens,
    neg_risk: m.negRisk ? 1 : 0,
    active: m.active ? 1 : 0,
    closed: m.closed ? 1 : 0,
    volume: m.volume === undefined ? 0 : Number(m.volume),
    liquidity: m.liquidity === undefined ? 0 : Number(m.liquidity),
    start_date: m.startDate === undefined ? 0 : Date.parse(m.startDate) / 1000,
    end_date: Date.parse(m.endDate) / 1000,
    closed_time: m.closedTime === undefined ? 0 : parseClosedTime(m.closedTime),
    resolution_status: m.umaResolutionStatus ?? "",
    outcome_prices: prices,
    resolved: resolved ? 1 : 0,
    winning_outcome_index: resolved && !isVoid ? prices.indexOf(1) : -1,
    is_void: isVoid ? 1 : 0
  }
}

describe("gamma", () => {
  const ctx = useSimulator({ world: SMALL_WORLD })

  it("keyset pages to the end return exactly the ground truth, no duplicates, and no next_cursor at the end", async () => {
    const seen: Array<any> = []
    let cursor: string | undefined
    let pages = 0
    for (;;) {
      const url = `${ctx.sim.gammaUrl}/markets/keyset?limit=25${cursor !== undefined ? `&after_cursor=${cursor}` : ""}`
      const { status, body } = await getJson(url)
      expect(status).toBe(200)
      expect(Array.isArray(body.markets)).toBe(true)
      seen.push(...body.markets)
      pages++
      if (body.next_cursor === undefined) break
      expect(typeof body.next_cursor).toBe("string")
      cursor = body.next_cursor
    }
    expect(pages).toBe(Math.ceil(SMALL_WORLD.markets / 25))
    const ids = seen.map((m) => m.id)
    expect(new Set(ids).size).toBe(ids.length)
    const expected = Array.from({ length: SMALL_WORLD.markets }, (_, i) => marketTruth(ctx.sim.world, i).market)
    expect(seen.map(derive)).toEqual(expected)
  })

  it("market objects have the fact sheet's types: string id, JSON-encoded strings, non-ISO closedTime", async () => {
    const { body } = await getJson(`${ctx.sim.gammaUrl}/markets/keyset?limit=200&closed=true`)
    const m = body.markets[0]
    expect(typeof m.id).toBe("string")
    expect(m.conditionId).toMatch(/^0x[0-9a-f]{64}$/)
    expect(m.questionID).toMatch(/^0x[0-9a-f]{64}$/)
    for (const k of ["outcomes", "outcomePrices", "clobTokenIds"]) expect(typeof m[k]).toBe("string")
    for (const t of JSON.parse(m.clobTokenIds)) expect(t).toMatch(/^[1-9][0-9]{75,76}$/)
    expect(m.closed).toBe(true)
    expect(m.closedTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\+00$/)
    const resolved = body.markets.filter((x: any) => x.umaResolutionStatus === "resolved")
    expect(resolved.length).toBeGreaterThan(0)
    expect(resolved.some((x: any) => x.outcomePrices === '["0.5","0.5"]') || resolved.length < 10).toBe(true)
    if (m.volume !== undefined) expect(typeof m.volume).toBe("string")
  })

  it("closed filter: true and false partition the catalogue", async () => {
    const closed = await getJson(`${ctx.sim.gammaUrl}/markets/keyset?limit=1000&closed=true`)
    const open = await getJson(`${ctx.sim.gammaUrl}/markets/keyset?limit=1000&closed=false`)
    expect(closed.body.markets.every((m: any) => m.closed === true)).toBe(true)
    expect(open.body.markets.every((m: any) => m.closed === false)).toBe(true)
    expect(closed.body.markets.length + open.body.markets.length).toBe(SMALL_WORLD.markets)
  })

  it("keyset ignores cursor= (page 1 forever) and rejects offset", async () => {
    const first = await getJson(`${ctx.sim.gammaUrl}/markets/keyset?limit=10`)
    const again = await getJson(`${ctx.sim.gammaUrl}/markets/keyset?limit=10&cursor=${first.body.next_cursor}`)
    expect(again.body.markets.map((m: any) => m.id)).toEqual(first.body.markets.map((m: any) => m.id))
    const offset = await getJson(`${ctx.sim.gammaUrl}/markets/keyset?limit=10&offset=10`)
    expect(offset.status).toBe(422)
  })

  it("legacy /markets: closed=false when closed is absent, 422 past offset 2000", async () => {
    const dflt = await getJson(`${ctx.sim.gammaUrl}/markets?limit=500&offset=0`)
    expect(Array.isArray(dflt.body)).toBe(true)
    expect(dflt.body.length).toBeGreaterThan(0)
    expect(dflt.body.every((m: any) => m.closed === false)).toBe(true)
    const ok = await getJson(`${ctx.sim.gammaUrl}/markets?limit=10&offset=2000&closed=true`)
    expect(ok.status).toBe(200)
    const deep = await getJson(`${ctx.sim.gammaUrl}/markets?limit=10&offset=2100`)
    expect(deep.status).toBe(422)
    expect(deep.body).toEqual({ type: "validation error", error: "offset too large, use /markets/keyset for deeper pagination" })
  })

  it("legacy paging with closed=true and offsets returns every closed market once", async () => {
    const got: Array<string> = []
    for (let offset = 0; ; offset += 20) {
      const { body } = await getJson(`${ctx.sim.gammaUrl}/markets?limit=20&offset=${offset}&closed=true&order=id&ascending=true`)
      got.push(...body.map((m: any) => m.id))
      if (body.length < 20) break
    }
    const expected = Array.from({ length: SMALL_WORLD.markets }, (_, i) => marketTruth(ctx.sim.world, i).market)
      .filter((m) => m.closed === 1)
      .map((m) => m.market_id)
    expect(got).toEqual(expected)
  })
})
