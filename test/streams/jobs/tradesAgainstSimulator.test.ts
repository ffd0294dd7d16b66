import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Layer, Option, TestClock } from "effect"
import { DEFAULT_REQUEST_POLICY, RequestPolicy } from "../../../src/services/RequestPolicy.js"
import type { TradesSettingsApi } from "../../../src/services/TradesSettings.js"
import { DEFAULT_TRADES_SETTINGS, TradesSettings } from "../../../src/services/TradesSettings.js"
import type { World } from "../../../src/simulator/index.js"
import { externalTradeTruthsOfWallet, profileKnobs, walletAddress } from "../../../src/simulator/index.js"
import { ghostMarkets } from "../../../src/simulator/ghost.js"
import { tradesFetcher } from "../../../src/streams/jobs/trades.js"
import { SMALL_WORLD, useSimulator } from "../../simulator/support.js"
import { expectSameTrades, fetchAll, layerSimSources, rowsOf } from "./support.js"

const BURST = 25
const LIMIT = 10
const CAP = 30
const settings = (s: Partial<TradesSettingsApi>) => Layer.succeed(TradesSettings, { ...DEFAULT_TRADES_SETTINGS, ...s })
const policy = Effect.provideService(RequestPolicy, { ...DEFAULT_REQUEST_POLICY, baseBackoff: Duration.millis(5), maxBackoff: Duration.millis(200), maxAttempts: 30 })

const busiest = (world: World) => {
  let best = 0
  let n = -1
  for (let w = 0; w < world.walletCount; w++) {
    const k = externalTradeTruthsOfWallet(world, w).length
    if (k > n) [best, n] = [w, k]
  }
  return best
}

const stats = (url: string) => Effect.promise(() => fetch(url).then((r) => r.json() as Promise<{ totals: Record<string, number>; endpoints: Record<string, Record<string, number>> }>))

describe("trades job against the simulated Data-API", () => {
  // Wallet 3 trades 25 times in one second in a ghost market; /activity refuses offsets above 30.
  const ctx = useSimulator({ world: { ...SMALL_WORLD, burst: { wallet: 3, trades: BURST } }, knobs: { caps: { ...profileKnobs("none").caps, activityOffsetMax: CAP } } })
  const env = (s: Partial<TradesSettingsApi> = {}) => Layer.merge(layerSimSources(() => ctx.sim), settings(s))
  const small = { fetch: tradesFetcher({ pageLimit: LIMIT }) }
  const full = { fetch: tradesFetcher() }
  const address = (w: number) => walletAddress(ctx.sim.world, w)

  it.live("a wallet with fewer trades than a page: one request, its trades exactly", () =>
    Effect.gen(function* () {
      const world = ctx.sim.world
      const w = Array.from({ length: world.walletCount }, (_, k) => k).find((k) => {
        const n = externalTradeTruthsOfWallet(world, k).length
        return n > 0 && n < 500
      })!
      const pages = yield* fetchAll(full, address(w), JSON.stringify({ rank: 1 }))
      expect(pages).toHaveLength(1)
      expect(Option.isNone(pages[0]!.next)).toBe(true)
      expectSameTrades(rowsOf(pages, "external_trades_raw"), externalTradeTruthsOfWallet(world, w))
    }).pipe(Effect.provide(env())))

  it.live("past the offset cap, with 25 trades in one second: windows split by time, every trade once", () =>
    Effect.gen(function* () {
      const world = ctx.sim.world
      const truth = externalTradeTruthsOfWallet(world, 3)
      const burstTs = ghostMarkets(world).at(-1)!.trades[0]!.timestamp
      expect(truth.filter((t) => t.timestamp === burstTs).length).toBeGreaterThanOrEqual(BURST)
      expect(truth.length).toBeGreaterThan(CAP + LIMIT)
      const before = yield* stats(ctx.sim.statsUrl)
      const pages = yield* fetchAll(small, address(3), JSON.stringify({ rank: 1 }))
      const rows = rowsOf(pages, "external_trades_raw")
      // Nothing fetched twice: as many rows as trades, each key once.
      expect(rows).toHaveLength(truth.length)
      expect(new Set(rows.map((r) => r.external_trade_id)).size).toBe(truth.length)
      expectSameTrades(rows, truth)
      const after = yield* stats(ctx.sim.statsUrl)
      // The cap was met (400s) and paged around.
      expect(after.totals["clientErrors"]! - before.totals["clientErrors"]!).toBeGreaterThan(0)
    }).pipe(Effect.provide(env())))

  it.live("every wallet with the busiest too: exact to the ground truth over small pages", () =>
    Effect.gen(function* () {
      const world = ctx.sim.world
      for (const w of [busiest(world), 0]) {
        expectSameTrades(rowsOf(yield* fetchAll(small, address(w), JSON.stringify({ rank: 1 })), "external_trades_raw"), externalTradeTruthsOfWallet(world, w))
      }
    }).pipe(Effect.provide(env())))

  it.live("--since/--until bound the requests: start and end, so only the trades inside come back", () =>
    Effect.gen(function* () {
      const world = ctx.sim.world
      const since = Date.UTC(2026, 3, 20) / 1000
      const until = Date.UTC(2026, 3, 30) / 1000
      const w = busiest(world)
      const truth = externalTradeTruthsOfWallet(world, w).filter((t) => t.timestamp >= since && t.timestamp < until)
      expect(truth.length).toBeGreaterThan(0)
      expect(truth.length).toBeLessThan(externalTradeTruthsOfWallet(world, w).length)
      expectSameTrades(rowsOf(yield* fetchAll(small, address(w), JSON.stringify({ rank: 1 })), "external_trades_raw"), truth)
    }).pipe(Effect.provide(env({ since: Date.UTC(2026, 3, 20) / 1000, until: Date.UTC(2026, 3, 30) / 1000 }))))

  it.live("--api v2: /v2/activity's cursor envelope gives the same trades", () =>
    Effect.gen(function* () {
      const world = ctx.sim.world
      const w = busiest(world)
      const pages = yield* fetchAll(small, address(w), JSON.stringify({ rank: 1 }))
      expect(pages.length).toBeGreaterThan(3)
      expectSameTrades(rowsOf(pages, "external_trades_raw"), externalTradeTruthsOfWallet(world, w).map((t) => ({ ...t, source: "data-api-v2" })))
    }).pipe(Effect.provide(env({ api: "v2" }))))

  it.live("an unknown wallet is one empty page: done, no rows", () =>
    Effect.gen(function* () {
      const pages = yield* fetchAll(small, "0x00000000000000000000000000000000000000aa", JSON.stringify({ rank: 1 }))
      expect(pages).toHaveLength(1)
      expect(rowsOf(pages, "external_trades_raw")).toEqual([])
      expect(Option.isNone(pages[0]!.next)).toBe(true)
    }).pipe(Effect.provide(env())))

  it.live("a 400 that is not the cap fails the unit with the API's own message", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(fetchAll(small, "0xnot-an-address", JSON.stringify({ rank: 1 })))
      const error = Exit.isFailure(exit) ? Option.getOrThrow(Cause.failureOption(exit.cause)) : expect.fail("expected a failure")
      expect(error.reason).toBe("Fatal")
      expect(error.message).toBe("Data-API answered HTTP 400: user must be a 0x-prefixed 40-hex-digit address")
    }).pipe(Effect.provide(env())))

  it.effect("--sleep-ms pauses before each wallet's first request (TestClock)", () =>
    Effect.gen(function* () {
      const world = ctx.sim.world
      const before = (yield* stats(ctx.sim.statsUrl)).totals["requests"]!
      const fiber = yield* Effect.fork(fetchAll(full, address(0), JSON.stringify({ rank: 1 })))
      yield* TestClock.adjust(Duration.millis(1999))
      expect((yield* stats(ctx.sim.statsUrl)).totals["requests"]).toBe(before)
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust(Duration.millis(1))
      const pages = yield* Fiber.join(fiber)
      expectSameTrades(rowsOf(pages, "external_trades_raw"), externalTradeTruthsOfWallet(world, 0))
    }).pipe(Effect.provide(env({ sleepMs: 2000 }))))
})

describe("trades job against a rate-limited Data-API answering 429 in Cloudflare HTML", () => {
  const ctx = useSimulator({ world: SMALL_WORLD, knobs: { rateLimits: [{ family: "data", limit: 4, windowMs: 500 }] } })

  it.live("the 429s are waited out and the rows still equal the ground truth", () =>
    Effect.gen(function* () {
      const world = ctx.sim.world
      const raw = yield* Effect.promise(async () => {
        const bodies: Array<{ status: number; type: string | null; body: string }> = []
        for (let i = 0; i < 6; i++) {
          const r = await fetch(`${ctx.sim.dataApiUrl}/activity?user=${walletAddress(world, 0)}&type=TRADE&limit=1`)
          bodies.push({ status: r.status, type: r.headers.get("content-type"), body: await r.text() })
        }
        return bodies
      })
      // What the job meets: HTML, not JSON, with the 429.
      expect(raw.some((r) => r.status === 429 && r.body.includes("Cloudflare") && r.type?.includes("text/html") === true)).toBe(true)
      const w = 1
      const pages = yield* fetchAll({ fetch: tradesFetcher({ pageLimit: 25 }) }, walletAddress(world, w), JSON.stringify({ rank: 1 }))
      expect(pages.length).toBeGreaterThan(4)
      expectSameTrades(rowsOf(pages, "external_trades_raw"), externalTradeTruthsOfWallet(world, w))
      expect((yield* stats(ctx.sim.statsUrl)).totals["rateLimited"]).toBeGreaterThan(1)
    }).pipe(policy, Effect.provide(Layer.merge(layerSimSources(() => ctx.sim), settings({})))), 30_000)
})

describe("trades job against a Data-API that cuts pages silently at its offset cap (no 400)", () => {
  const ctx = useSimulator({
    world: { ...SMALL_WORLD, burst: { wallet: 3, trades: BURST } },
    knobs: { caps: { ...profileKnobs("none").caps, activityOffsetMax: CAP, activityCapSilent: true } }
  })

  it.live("short and empty pages past the cap are checked in the narrowed window: every trade once", () =>
    Effect.gen(function* () {
      const world = ctx.sim.world
      for (const w of [3, busiest(world)]) {
        const truth = externalTradeTruthsOfWallet(world, w)
        expect(truth.length).toBeGreaterThan(CAP)
        const rows = rowsOf(yield* fetchAll({ fetch: tradesFetcher({ pageLimit: LIMIT }) }, walletAddress(world, w), JSON.stringify({ rank: 1 })), "external_trades_raw")
        expect(rows).toHaveLength(truth.length)
        expectSameTrades(rows, truth)
      }
      // No 400 was needed to find the cap.
      expect((yield* stats(ctx.sim.statsUrl)).totals["clientErrors"]).toBe(0)
    }).pipe(Effect.provide(Layer.merge(layerSimSources(() => ctx.sim), settings({})))))
})
