import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Logger, Option, Ref } from "effect"
import { fillTruthsOfMarket, marketInfo, marketTruth, timestampOfBlock } from "../../../src/simulator/index.js"
import { GoldskySource } from "../../../src/services/GoldskySource.js"
import { V2_GENESIS_BLOCK } from "../../../src/domain/polygon.js"
import { fillsFetcher, fillsPage } from "../../../src/streams/jobs/fills.js"
import type { Page } from "../../../src/streams/Job.js"
import { makeMarketsJob, marketsJob } from "../../../src/streams/jobs/markets.js"
import { SMALL_WORLD, useSimulator } from "../../simulator/support.js"
import { byKey, drop, fetchAll, layerSimSources, rowsOf } from "./support.js"

// Fetching needs only the subgraph (planning reads ClickHouse: see fillsPlan.test.ts).
const fillsJob = { fetch: fillsFetcher() }

describe("jobs against the simulator over real HTTP", () => {
  const ctx = useSimulator({ world: SMALL_WORLD })
  const env = () => layerSimSources(() => ctx.sim)
  const world = () => ctx.sim.world
  const marketIndexes = () => Array.from({ length: world().marketCount }, (_, i) => i)
  const payloadOf = (i: number) => {
    const info = marketInfo(world(), i)
    return { key: info.conditionId, payload: JSON.stringify({ conditionId: info.conditionId, tokenIds: info.tokenIds }) }
  }

  it.live("markets: both units together give exactly the catalogue, each market once", () =>
    Effect.gen(function* () {
      const units = yield* marketsJob.plan
      expect(units.map((u) => u.unitKey)).toEqual(["closed", "open"])
      const pages = (yield* Effect.forEach(units, (u) => fetchAll(marketsJob, u.unitKey, u.payload))).flat()
      const expected = marketIndexes().map((i) => marketTruth(world(), i))
      const markets = rowsOf(pages, "markets").map((r) => drop(r, "updated_at"))
      const tokens = rowsOf(pages, "market_tokens").map((r) => drop(r, "updated_at"))
      expect(markets.sort(byKey("condition_id"))).toEqual(expected.map((e) => e.market).sort(byKey("condition_id")))
      expect(tokens.sort(byKey("token_id"))).toEqual(expected.flatMap((e) => e.tokens).sort(byKey("token_id")))
      expect(pages.flatMap((p) => p.quarantine)).toEqual([])
    }).pipe(Effect.provide(env())))

  it.live("markets: small pages chain by after_cursor, and a unit resumed from a stored cursor fetches only the pages after it", () =>
    Effect.gen(function* () {
      const job = makeMarketsJob({ pageLimit: 7 })
      const all = yield* fetchAll(job, "closed", JSON.stringify({ closed: true }))
      const closedCount = marketIndexes().filter((i) => world().closed(i)).length
      // One page per 7 markets, plus possibly an empty last page when the count divides evenly.
      expect(all.length - Math.ceil(closedCount / 7)).toBeOneOf([0, 1])
      expect(new Set(rowsOf(all, "markets").map((r) => r.condition_id)).size).toBe(closedCount)
      const second = all[1]!
      expect(Option.isSome(second.next)).toBe(true)
      const rest = yield* fetchAll(job, "closed", JSON.stringify({ closed: true }), Option.getOrThrow(second.next))
      expect(rest.length).toBe(all.length - 2)
      expect(rowsOf(rest, "markets")).toEqual(rowsOf(all.slice(2), "markets").map((r) => ({ ...r, updated_at: expect.any(Number) })))
    }).pipe(Effect.provide(env())))

  it.live("fills: each market's V1 fills exactly, with derived side, price, condition and taker leg", () =>
    Effect.gen(function* () {
      const withFills = marketIndexes().filter((i) => fillTruthsOfMarket(world(), i, "goldsky").length > 0).slice(0, 8)
      expect(withFills).toHaveLength(8)
      for (const i of withFills) {
        const { key, payload } = payloadOf(i)
        const got = rowsOf(yield* fetchAll(fillsJob, key, payload), "clob_fills").map((r) => drop(r, "ingested_at"))
        expect(got.sort(byKey("fill_id"))).toEqual([...fillTruthsOfMarket(world(), i, "goldsky")].sort(byKey("fill_id")))
      }
    }).pipe(Effect.provide(env())))

  it.live("fills: with small pages the sticky cursor crosses timestamps shared by several rows without a skip or a duplicate", () =>
    Effect.gen(function* () {
      const job = { fetch: fillsFetcher({ pageSize: 3 }) }
      // Markets with several fills in one transaction (same timestamp): maker legs plus the taker leg.
      const busy = marketIndexes()
        .map((i) => ({ i, truth: fillTruthsOfMarket(world(), i, "goldsky") }))
        .filter(({ truth }) => truth.length > 6 && new Set(truth.map((t) => t.timestamp)).size < truth.length)
        .slice(0, 5)
      expect(busy.length).toBeGreaterThan(0)
      let splitTimestamps = 0
      for (const { i, truth } of busy) {
        const { key, payload } = payloadOf(i)
        const pages = yield* fetchAll(job, key, payload)
        const got = rowsOf(pages, "clob_fills").map((r) => drop(r, "ingested_at"))
        expect(got.length).toBe(truth.length)
        expect(new Set(got.map((r) => r.fill_id)).size).toBe(truth.length)
        expect(got.sort(byKey("fill_id"))).toEqual([...truth].sort(byKey("fill_id")))
        expect(pages.length).toBeGreaterThan(truth.length / 3)
        // The engine's fast path gives the same pages, cursor after cursor.
        const viaPage = []
        for (let cursor = "", more = true; more; ) {
          const page = yield* fillsPage({ pageSize: 3 })({ unitKey: key, payload, cursor })
          viaPage.push(page)
          more = Option.isSome(page.next)
          if (Option.isSome(page.next)) cursor = page.next.value
        }
        const stable = (ps: ReadonlyArray<Page>) => ps.map((p) => ({ next: p.next, rows: rowsOf([p], "clob_fills").map((r) => drop(r, "ingested_at")) }))
        expect(stable(viaPage)).toEqual(stable(pages))
        const fillsOf = (k: number) => rowsOf([pages[k]!], "clob_fills")
        splitTimestamps += pages.slice(1).filter((_, k) => fillsOf(k).length > 0 && fillsOf(k + 1).length > 0 && fillsOf(k).at(-1)!.timestamp === fillsOf(k + 1)[0]!.timestamp).length
      }
      // The case the sticky cursor exists for did occur: one timestamp's rows spread over two pages.
      expect(splitTimestamps).toBeGreaterThan(0)
    }).pipe(Effect.provide(env())))

  it.live("fills: a market with no fills is one empty page, done, not an error", () =>
    Effect.gen(function* () {
      const i = marketIndexes().find((k) => fillTruthsOfMarket(world(), k, "goldsky").length === 0)!
      const { key, payload } = payloadOf(i)
      const pages = yield* fetchAll(fillsJob, key, payload)
      expect(pages).toHaveLength(1)
      expect(Option.isNone(pages[0]!.next)).toBe(true)
      expect(rowsOf(pages, "clob_fills")).toEqual([])
    }).pipe(Effect.provide(env())))

  it.live("fills: the last time the subgraph can serve is logged once per run, as a warning naming the job that fills the gap", () =>
    Effect.gen(function* () {
      const lines = yield* Ref.make<ReadonlyArray<string>>([])
      const logger = Logger.make(({ logLevel, message }) => {
        Effect.runSync(Ref.update(lines, (l) => [...l, `${logLevel.label} ${String(Array.isArray(message) ? message.join(" ") : message)}`]))
      })
      const withFills = marketIndexes().filter((i) => fillTruthsOfMarket(world(), i, "goldsky").length > 0).slice(0, 12)
      const page = fillsPage()
      // Twelve units at once, as the engine's workers fetch them, by both paths.
      yield* Effect.gen(function* () {
        yield* Effect.forEach(withFills, (i) => fetchAll(fillsJob, payloadOf(i).key, payloadOf(i).payload), { concurrency: "unbounded" })
        yield* Effect.forEach(withFills, (i) => page({ unitKey: payloadOf(i).key, payload: payloadOf(i).payload, cursor: "" }), { concurrency: "unbounded" })
      }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      const head = yield* Effect.flatMap(GoldskySource, (g) => g.head)
      // The simulated subgraph stops where the real one did: at the V2 switch.
      expect(head.block).toBe(V2_GENESIS_BLOCK - 1)
      const expectedTime = new Date(timestampOfBlock(V2_GENESIS_BLOCK - 1) * 1000).toISOString().replace(".000Z", "Z")
      const reported = (yield* Ref.get(lines)).filter((l) => l.includes("Goldsky orderbook subgraph"))
      expect(reported).toHaveLength(1)
      expect(reported[0]).toMatch(/^WARN /)
      expect(reported[0]).toContain(`block ${V2_GENESIS_BLOCK - 1}`)
      expect(reported[0]).toContain(expectedTime)
      expect(reported[0]).toContain("`polybackfill run onchain` reads them from the chain")
    }).pipe(Effect.provide(env())))
})

describe("the subgraph's head, asked while the first unit that asked is interrupted", () => {
  // 300 ms per Goldsky answer: the first unit is interrupted while the head request is on its way.
  const slow = { minMs: 300, maxMs: 300 }
  const none = { minMs: 0, maxMs: 0 }
  const ctx = useSimulator({ world: SMALL_WORLD, knobs: { latency: { gamma: none, data: none, goldsky: slow, rpc: none } } })

  it.live("the other units get the head without asking again: one line, no unit fails", () =>
    Effect.gen(function* () {
      const lines = yield* Ref.make<ReadonlyArray<string>>([])
      const logger = Logger.make(({ message }) => {
        Effect.runSync(Ref.update(lines, (l) => [...l, String(Array.isArray(message) ? message.join(" ") : message)]))
      })
      const world = ctx.sim.world
      const units = Array.from({ length: world.marketCount }, (_, i) => i)
        .filter((i) => fillTruthsOfMarket(world, i, "goldsky").length > 0)
        .slice(0, 4)
        .map((i) => {
          const info = marketInfo(world, i)
          return { unitKey: info.conditionId, payload: JSON.stringify({ conditionId: info.conditionId, tokenIds: info.tokenIds }), cursor: "" }
        })
      const page = fillsPage()
      const pages = yield* Effect.gen(function* () {
        const first = yield* Effect.fork(page(units[0]!))
        yield* Effect.sleep("100 millis")
        yield* Fiber.interrupt(first)
        return yield* Effect.forEach(units, page, { concurrency: "unbounded" })
      }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      expect(pages).toHaveLength(units.length)
      expect((yield* Ref.get(lines)).filter((l) => l.includes("Goldsky orderbook subgraph"))).toHaveLength(1)
    }).pipe(Effect.provide(layerSimSources(() => ctx.sim))))
})
