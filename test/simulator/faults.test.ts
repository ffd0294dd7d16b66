import { HttpClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Option, TestClock } from "effect"
import type { Knobs } from "../../src/simulator/config.js"
import { parseRateSchedule, profileKnobs } from "../../src/simulator/config.js"
import { walletAddress } from "../../src/simulator/market.js"
import { layerSimulator, SimulatorServer, startSimulator } from "../../src/simulator/server.js"
import { World } from "../../src/simulator/world.js"
import { worldConfig } from "../../src/simulator/config.js"

const world = new World(worldConfig({ seed: 3, markets: 60, wallets: 20, from: "2026-04-20", to: "2026-05-05", fills: 1500 }))
const none = profileKnobs("none")

const get = (url: string) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const res = yield* client.get(url)
    return { status: res.status, headers: res.headers, text: yield* res.text }
  }).pipe(Effect.provide(NodeHttpClient.layer))

const withSim = (knobs: Partial<Knobs>) => Effect.provide(layerSimulator({ world, knobs }))

/** Waits (over real I/O) until the stats show `n` requests counted as `counter` on any endpoint. */
const untilStat = (counter: string, n: number) =>
  Effect.gen(function* () {
    const sim = yield* SimulatorServer
    for (;;) {
      const { text } = yield* get(sim.statsUrl)
      if ((JSON.parse(text).totals[counter] as number) >= n) return
      yield* Effect.yieldNow()
    }
  })

describe("rate limits (TestClock)", () => {
  it.scoped("a hammering client never gets more than R successes per sliding window, and gets 429s with Retry-After", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatorServer
      const R = 5
      const W = 10_000
      const results: Array<{ t: number; status: number; retryAfter: string | undefined; body: string }> = []
      for (let step = 0; step < 120; step++) {
        for (let k = 0; k < 3; k++) {
          const r = yield* get(`${sim.gammaUrl}/markets/keyset?limit=1`)
          results.push({ t: step * 250, status: r.status, retryAfter: r.headers["retry-after"], body: r.text })
        }
        yield* TestClock.adjust(Duration.millis(250))
      }
      const ok = results.filter((r) => r.status === 200)
      const limited = results.filter((r) => r.status === 429)
      expect(ok.length + limited.length).toBe(results.length)
      expect(limited.length).toBeGreaterThan(0)
      for (const r of ok) expect(ok.filter((o) => o.t > r.t - W && o.t <= r.t).length).toBeLessThanOrEqual(R)
      // 30 s of hammering under 5 per 10 s: the limit is reached, not undershot.
      expect(ok.length).toBe(R * 3)
      expect(Number(limited[0]!.retryAfter)).toBeGreaterThanOrEqual(1)
      expect(limited[0]!.body).toContain("Cloudflare")
    }).pipe(withSim({ ...none, rateLimits: [{ family: "gamma", limit: 5, windowMs: 10_000 }] }))
  )

  it.scoped("Data-API v2 answers 429 with the JSON body; v1 with HTML; a path rule only limits its path", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatorServer
      const user = walletAddress(world, 0)
      const v2 = [yield* get(`${sim.dataApiUrl}/v2/trades?user=${user}`), yield* get(`${sim.dataApiUrl}/v2/trades?user=${user}`)]
      expect(v2.map((r) => r.status)).toEqual([200, 429])
      expect(JSON.parse(v2[1]!.text)).toMatchObject({ code: "rate_limited", retryable: true })
      expect(v2[1]!.headers["retry-after"]).toBe("10")
      expect(JSON.parse(v2[1]!.text).trace_id).toBe(v2[1]!.headers["x-trace-id"])
      const act = yield* get(`${sim.dataApiUrl}/activity?user=${user}`)
      expect(act.status).toBe(200)
      const trades = [yield* get(`${sim.dataApiUrl}/trades?user=${user}`), yield* get(`${sim.dataApiUrl}/trades?user=${user}`)]
      expect(trades.map((r) => r.status)).toEqual([200, 429])
      expect(trades[1]!.headers["content-type"]).toContain("text/html")
    }).pipe(
      withSim({
        ...none,
        rateLimits: [
          { family: "data", path: "/v2/trades", limit: 1, windowMs: 10_000 },
          { family: "data", path: "/trades", limit: 1, windowMs: 10_000 }
        ]
      })
    )
  )

  it.scoped("a scheduled limit changes over time", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatorServer
      const okPerWindow: Array<number> = []
      for (let window = 0; window < 6; window++) {
        let ok = 0
        for (let k = 0; k < 10; k++) if ((yield* get(`${sim.rpcUrl}`)).status !== 429) ok++
        okPerWindow.push(ok)
        yield* TestClock.adjust(Duration.seconds(10))
      }
      // 0-20 s: 4 per window; 20-40 s: 2; from 40 s: 6.
      expect(okPerWindow).toEqual([4, 4, 2, 2, 6, 6])
    }).pipe(withSim({ ...none, rateSchedule: parseRateSchedule("rpc=0s:4,20s:2,40s:6") as never }))
  )
})

describe("latency and hangs (TestClock)", () => {
  it.scoped("latency is slept on the Clock", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatorServer
      const fiber = yield* Effect.fork(get(`${sim.gammaUrl}/markets/keyset?limit=1`))
      yield* untilStat("requests", 1)
      yield* TestClock.adjust(Duration.millis(499))
      for (let k = 0; k < 5; k++) yield* get(`${sim.statsUrl}`)
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust(Duration.millis(1))
      expect((yield* Fiber.join(fiber)).status).toBe(200)
    }).pipe(withSim({ ...none, latency: { ...none.latency, gamma: { minMs: 500, maxMs: 500 } } }))
  )

  it.scoped("a hung request never answers until the clock passes the hang, then 504", () =>
    Effect.gen(function* () {
      const sim = yield* SimulatorServer
      const fiber = yield* Effect.fork(get(`${sim.goldskyUrl}`))
      yield* untilStat("hangs", 1)
      yield* TestClock.adjust(Duration.seconds(59))
      for (let k = 0; k < 5; k++) yield* get(`${sim.statsUrl}`)
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust(Duration.seconds(1))
      expect((yield* Fiber.join(fiber)).status).toBe(504)
    }).pipe(withSim({ ...none, faults: { ...none.faults, hangRate: 1, hangMs: 60_000 } }))
  )
})

describe("faults (real clock)", () => {
  it("5xx bodies per family, counted in /__sim/stats; ?reset=1 resets", async () => {
    const sim = await startSimulator({ world, knobs: { ...none, faults: { ...none.faults, errorRate: 1 } } })
    try {
      const gamma = await fetch(`${sim.gammaUrl}/markets/keyset`)
      expect(gamma.status).toBe(502)
      expect(await gamma.text()).toContain("Cloudflare")
      const v2 = await fetch(`${sim.dataApiUrl}/v2/trades?user=${walletAddress(world, 0)}`)
      expect(v2.status).toBe(503)
      expect(v2.headers.get("retry-after")).toBe("1")
      expect(await v2.json()).toMatchObject({ code: "dependency_unavailable", retryable: true })
      const rpc = await fetch(sim.rpcUrl, { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId" }) })
      expect(rpc.status).toBe(503)
      const stats = (await (await fetch(`${sim.statsUrl}?reset=1`)).json()) as any
      expect(stats.totals.errors).toBe(3)
      expect(stats.endpoints["rpc eth_chainId"].errors).toBe(1)
      expect(((await (await fetch(sim.statsUrl)).json()) as any).totals.requests).toBe(0)
    } finally {
      await sim.close()
    }
  })

  it("malformed pages are valid JSON with one row that violates the schema; truncated bodies do not parse", async () => {
    const bad = await startSimulator({ world, knobs: { ...none, faults: { ...none.faults, malformedRate: 1 } } })
    try {
      for (let k = 0; k < 5; k++) {
        const { markets } = (await (await fetch(`${bad.gammaUrl}/markets/keyset?limit=20`)).json()) as any
        const broken = markets.filter((m: any) => typeof m.conditionId !== "string" || typeof m.outcomes !== "string" || !Array.isArray(safeParse(m.clobTokenIds)))
        expect(broken.length).toBe(1)
      }
      const g = (await (
        await fetch(bad.goldskyUrl, { method: "POST", body: JSON.stringify({ query: "{ orderFilledEvents(first: 10, orderBy: timestamp) { id timestamp makerAmountFilled fee } }" }) })
      ).json()) as any
      expect(g.data.orderFilledEvents.filter((e: any) => Object.values(e).some((v) => v === null || v === "not-a-number")).length).toBe(1)
      const rows = (await (await fetch(`${bad.dataApiUrl}/activity?user=${walletAddress(world, 0)}&start=1`)).json()) as any
      expect(rows.filter((r: any) => r.transactionHash === undefined || r.price === "NaN" || r.size === "NaN" || r.timestamp === "NaN").length).toBe(1)
    } finally {
      await bad.close()
    }
    const cut = await startSimulator({ world, knobs: { ...none, faults: { ...none.faults, truncatedRate: 1 } } })
    try {
      const text = await (await fetch(`${cut.gammaUrl}/markets/keyset?limit=20`)).text()
      expect(() => JSON.parse(text)).toThrow()
      expect(((await (await fetch(cut.statsUrl)).json()) as any).totals.truncated).toBe(1)
    } finally {
      await cut.close()
    }
  })
})

const safeParse = (s: unknown): unknown => {
  try {
    return JSON.parse(String(s))
  } catch {
    return undefined
  }
}
