import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Layer, Logger, Option, TestClock } from "effect"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll } from "vitest"
import { LogRangeError, SourceError, UsageError } from "../../src/domain/errors.js"
import { CONTRACTS, TOPICS } from "../../src/domain/polygon.js"
import { Governor } from "../../src/services/Governor.js"
import { layerFixed } from "../../src/layers/GovernorFixed.js"
import { layerUndiciTransport } from "../../src/layers/http/undiciTransport.js"
import { layerPolygonRpcPoolWith } from "../../src/layers/PolygonRpcPool.js"
import type { PoolTuning } from "../../src/layers/rpcPool/members.js"
import type { Faults, Knobs } from "../../src/simulator/config.js"
import { profileKnobs } from "../../src/simulator/config.js"
import { fillTruthsInBlocks } from "../../src/simulator/groundTruth.js"
import type { SimulatorHandle, SimulatorOptions } from "../../src/simulator/server.js"
import { resolveWorld, startSimulator } from "../../src/simulator/server.js"
import type { LogFilter } from "../../src/services/PolygonRpc.js"
import { PolygonRpc } from "../../src/services/PolygonRpc.js"
import type { RequestPolicyShape } from "../../src/services/RequestPolicy.js"
import { DEFAULT_REQUEST_POLICY, RequestPolicy } from "../../src/services/RequestPolicy.js"
import { Sources } from "../../src/services/Sources.js"
import { postJson, SMALL_WORLD } from "../simulator/support.js"

// One world, served by several simulator instances with different knobs (one per kind of provider).
const world = resolveWorld(SMALL_WORLD)
const none = profileKnobs("none")
/** Mutable on purpose: a test turns an instance's faults on and off while it runs. */
const flaky: { -readonly [K in keyof Faults]: Faults[K] } = { ...none.faults }

const instances: Record<string, Partial<Knobs>> = {
  healthy: {},
  // Every request refused with Retry-After: 1 (so the pool may probe it again within a test).
  limited: { rateLimits: [{ family: "rpc", limit: 0, windowMs: 1000 }] },
  hanging: { faults: { ...none.faults, hangRate: 1, hangMs: 60_000 } },
  flaky: { faults: flaky },
  otherChain: { caps: { ...none.caps, rpcChainId: 1 } },
  fewResults: { caps: { ...none.caps, rpcMaxResults: 50 } },
  shortRange: { caps: { ...none.caps, rpcMaxBlockRange: 1000 } }
}
const sims: Record<string, SimulatorHandle & { close: () => Promise<void> }> = {}
beforeAll(async () => {
  for (const [name, knobs] of Object.entries(instances)) sims[name] = await startSimulator({ world, knobs } satisfies SimulatorOptions)
})
afterAll(async () => {
  for (const sim of Object.values(sims)) await sim.close()
})

const ALCHEMY =
  "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response."
/** A provider that sends its range refusal with HTTP 400 (the status some providers use). */
const refusing = createServer((req, res) => {
  let body = ""
  req.on("data", (c: Buffer) => (body += c.toString()))
  req.on("end", () => {
    const call = JSON.parse(body) as { id: number; method: string }
    const chain = call.method === "eth_chainId"
    res.writeHead(chain ? 200 : 400, { "content-type": "application/json" })
    res.end(JSON.stringify(chain ? { jsonrpc: "2.0", id: call.id, result: "0x89" } : { jsonrpc: "2.0", id: call.id, error: { code: -32602, message: ALCHEMY } }))
  })
})
let refusingUrl = ""
beforeAll(async () => {
  await new Promise<void>((resolve) => refusing.listen(0, "127.0.0.1", resolve))
  refusingUrl = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/v2/${"k".repeat(24)}`
})
afterAll(async () => {
  await new Promise((resolve) => refusing.close(resolve))
})

const KEY_PATH = "AbCdEf0123456789abcdef0123"
const KEY_QUERY = "s3cr3tvalue42"
const DEAD_KEY = "ZyXwVu9876543210zyxwvu98"

const FILLS: Omit<LogFilter, "fromBlock" | "toBlock"> = {
  addresses: [CONTRACTS.ctfExchangeV1, CONTRACTS.negRiskExchangeV1, CONTRACTS.ctfExchangeV2, CONTRACTS.negRiskExchangeV2],
  topics: [[TOPICS.orderFilledV1, TOPICS.orderFilledV2]]
}

/** `n` consecutive block ranges covering the world. */
const ranges = (n: number): Array<LogFilter> => {
  const span = Math.ceil((world.headBlock - world.firstBlock + 1) / n)
  return Array.from({ length: n }, (_, i) => {
    const fromBlock = world.firstBlock + i * span
    return { ...FILLS, fromBlock, toBlock: Math.min(world.headBlock, fromBlock + span - 1) }
  })
}

const hex = (n: number) => "0x" + n.toString(16)
/** The same filter asked straight of a clean instance. */
const direct = (f: LogFilter) =>
  Effect.promise(() =>
    postJson(sims.healthy!.rpcUrl, { jsonrpc: "2.0", id: 1, method: "eth_getLogs", params: [{ fromBlock: hex(f.fromBlock), toBlock: hex(f.toBlock), address: f.addresses, topics: f.topics }] })
  ).pipe(Effect.map((r) => r.body.result as Array<unknown>))

const lines: Array<string> = []
const collect = Logger.add(Logger.make(({ message }) => void lines.push(Array.isArray(message) ? message.map(String).join(" ") : String(message))))

const pool = <A, E>(
  urls: ReadonlyArray<string>,
  program: Effect.Effect<A, E, PolygonRpc | Governor>,
  tuning: Partial<PoolTuning> = {},
  policy: Partial<RequestPolicyShape> = {}
) =>
  program.pipe(
    Effect.provide(
      layerPolygonRpcPoolWith(tuning).pipe(
        Layer.provideMerge(Layer.mergeAll(layerUndiciTransport, layerFixed(2), Layer.succeed(Sources, { gamma: "", dataApi: "", goldsky: "", rpc: urls })))
      )
    ),
    Effect.provideService(RequestPolicy, { ...DEFAULT_REQUEST_POLICY, ...policy }),
    Effect.provide(collect),
    // it.live keeps the default logger: the collector has the lines.
    Effect.provide(Logger.remove(Logger.defaultLogger))
  )

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => Option.getOrThrow(Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none())

describe("the RPC pool", () => {
  it.live("three URLs, one always 429, one always hanging: the logs are exactly the healthy world's, the bad URLs set aside", () =>
    pool(
      [sims.limited!.rpcUrl, sims.hanging!.rpcUrl, sims.healthy!.rpcUrl],
      Effect.gen(function* () {
        const rpc = yield* PolygonRpc
        let orderFilled = 0
        for (const f of ranges(12)) {
          const got = yield* rpc.getLogs(f)
          expect(got).toEqual(yield* direct(f))
          orderFilled += got.length
          // Long enough for the set-aside URLs to be probed again during the run.
          yield* Effect.sleep(Duration.millis(150))
        }
        expect(orderFilled).toBe([...fillTruthsInBlocks(world, world.firstBlock, world.headBlock)].length)
        expect(orderFilled).toBeGreaterThan(1000)

        const [limited, hanging, healthy] = yield* rpc.health
        expect(limited!.setAside).toBe(true)
        expect(hanging!.setAside).toBe(true)
        expect(healthy!.setAside).toBe(false)
        expect(healthy!.failures).toBe(0)
        // Probed again after their pause (and failed again): moved to the healthy URL each time.
        expect(limited!.requests).toBeGreaterThan(1)
        expect(hanging!.requests).toBeGreaterThan(1)
        expect(limited!.failures).toBe(limited!.requests)
        expect(hanging!.failures).toBe(hanging!.requests)
        expect(healthy!.share).toBeGreaterThan(Math.max(limited!.share, hanging!.share))
        expect(limited!.share + hanging!.share + healthy!.share).toBeCloseTo(1)
        expect(healthy!.latencyMs).toBeGreaterThanOrEqual(0)
        expect(healthy!.limit).toBe(2)
      }),
      { failuresToSetAside: 2, setAsideMs: 300 },
      // Long enough for the healthy instance on a busy machine (every simulator shares this process).
      { timeout: Duration.seconds(1), baseBackoff: Duration.millis(5), maxBackoff: Duration.millis(20) }
    ))

  it.effect("a URL set aside is probed again after its pause, and readmitted once it answers", () =>
    pool(
      [sims.flaky!.rpcUrl, sims.healthy!.rpcUrl],
      Effect.gen(function* () {
        const rpc = yield* PolygonRpc
        const fs = ranges(12)
        flaky.errorRate = 1
        const got = yield* Effect.forEach(fs, rpc.getLogs, { concurrency: 6 })
        for (let i = 0; i < fs.length; i++) expect(got[i]).toEqual(yield* direct(fs[i]!))
        const [aside] = yield* rpc.health
        expect(aside!.setAside).toBe(true)
        expect(aside!.failures).toBeGreaterThanOrEqual(3)
        expect(lines.some((l) => l.includes("set aside for 30s"))).toBe(true)

        // Healthy again, but not probed before its pause is over.
        flaky.errorRate = 0
        yield* rpc.getLogs(fs[0]!)
        expect((yield* rpc.health)[0]!.requests).toBe(aside!.requests)

        yield* TestClock.adjust(Duration.seconds(30))
        yield* rpc.getLogs(fs[1]!)
        const [back] = yield* rpc.health
        expect(back!.requests).toBe(aside!.requests + 1)
        expect(back!.setAside).toBe(false)
        expect(lines.some((l) => l.includes("back in the pool"))).toBe(true)
        // In service again: it takes its part of a concurrent load.
        yield* Effect.forEach(fs, rpc.getLogs, { concurrency: 4 })
        expect((yield* rpc.health)[0]!.requests).toBeGreaterThan(back!.requests + 2)
      }).pipe(Effect.ensuring(Effect.sync(() => void (flaky.errorRate = 0)))),
      { failuresToSetAside: 3, setAsideMs: 30_000 }
    ))

  it.effect("with every URL set aside, a request waits for the earliest to come back and is answered by its probe", () =>
    pool(
      [sims.flaky!.rpcUrl],
      Effect.gen(function* () {
        const rpc = yield* PolygonRpc
        const f = ranges(6)[2]!
        flaky.errorRate = 1
        const fiber = yield* Effect.fork(rpc.getLogs(f))
        // Real time for the loopback exchanges, test time for the backoffs.
        const settle = Effect.promise(() => new Promise((r) => setTimeout(r, 20)))
        for (let i = 0; i < 100 && !(yield* rpc.health)[0]!.setAside; i++) yield* Effect.zipRight(TestClock.adjust(Duration.millis(50)), settle)
        expect((yield* rpc.health)[0]!.setAside).toBe(true)
        flaky.errorRate = 0
        for (let i = 0; i < 40 && Option.isNone(yield* Fiber.poll(fiber)); i++) yield* Effect.zipRight(TestClock.adjust(Duration.seconds(1)), settle)
        expect(yield* Fiber.join(fiber)).toEqual(yield* direct(f))
        const [back] = yield* rpc.health
        expect(back!.setAside).toBe(false)
        // eth_chainId at start, two failures, then the probe that answered.
        expect([back!.requests, back!.failures]).toEqual([4, 2])
      }).pipe(Effect.ensuring(Effect.sync(() => void (flaky.errorRate = 0)))),
      { failuresToSetAside: 2, setAsideMs: 10_000 },
      { baseBackoff: Duration.millis(100), maxBackoff: Duration.millis(100) }
    ))

  it.effect("a URL on another chain is refused at start with one line naming it (redacted) and its chain", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(pool([sims.healthy!.rpcUrl, `${sims.otherChain!.rpcUrl}/v2/${KEY_PATH}`], PolygonRpc))
      const error = failureOf(exit)
      expect(error).toBeInstanceOf(UsageError)
      expect(error.message).toBe(
        `RPC URL ${sims.otherChain!.rpcUrl}/v2/*** is on chain 1, not Polygon (137): remove it from --rpc-url / RPC_URLS / ETHEREUM_RPC_URLS`
      )
    }))

  it.effect("range refusals come back as LogRangeError with the provider's suggestion, not retried elsewhere", () =>
    pool(
      // Two URLs of one provider: a refusal is returned, not moved to the other.
      [sims.fewResults!.rpcUrl, `${sims.fewResults!.rpcUrl}/second`],
      Effect.gen(function* () {
        const rpc = yield* PolygonRpc
        const wide = { ...FILLS, fromBlock: world.firstBlock, toBlock: world.headBlock }
        const tooMany = yield* Effect.flip(rpc.getLogs(wide))
        expect(tooMany).toBeInstanceOf(LogRangeError)
        const e = tooMany as LogRangeError
        expect([e.fromBlock, e.toBlock]).toEqual([wide.fromBlock, wide.toBlock])
        expect(e.suggestedToBlock).toBeGreaterThanOrEqual(wide.fromBlock)
        expect(e.suggestedToBlock).toBeLessThan(wide.toBlock)
        expect(e.message).toContain("query returned more than 50 results")
        const health = yield* rpc.health
        // Two eth_chainId at start, then one eth_getLogs; a refusal is no failure.
        expect(health.reduce((n, h) => n + h.requests, 0)).toBe(3)
        expect(health.every((h) => h.failures === 0 && !h.setAside)).toBe(true)
        // The suggestion holds: that range answers.
        expect((yield* rpc.getLogs({ ...wide, toBlock: e.suggestedToBlock! })).length).toBeLessThanOrEqual(50)
      })
    ).pipe(
      Effect.zipRight(
        pool(
          [sims.shortRange!.rpcUrl],
          Effect.gen(function* () {
            const rpc = yield* PolygonRpc
            const e = yield* Effect.flip(rpc.getLogs({ ...FILLS, fromBlock: world.firstBlock, toBlock: world.firstBlock + 4999 }))
            expect(e).toBeInstanceOf(LogRangeError)
            expect((e as LogRangeError).maxRange).toBe(1000)
            expect((e as LogRangeError).suggestedToBlock).toBeUndefined()
            expect(yield* rpc.getLogs({ ...FILLS, fromBlock: world.firstBlock, toBlock: world.firstBlock + 999 })).toBeInstanceOf(Array)
          })
        )
      )
    ))

  it.effect("a range refusal sent with HTTP 400 is a LogRangeError too", () =>
    pool(
      [refusingUrl],
      Effect.gen(function* () {
        const rpc = yield* PolygonRpc
        const e = yield* Effect.flip(rpc.getLogs({ ...FILLS, fromBlock: 100, toBlock: 50_000 }))
        expect(e).toBeInstanceOf(LogRangeError)
        expect((e as LogRangeError).maxRange).toBe(2000)
        expect(e.message).not.toContain("k".repeat(24))
        expect((yield* rpc.health)[0]!.failures).toBe(0)
      })
    ))

  it.effect("head block and block timestamps (batched by 100)", () =>
    pool(
      [sims.healthy!.rpcUrl],
      Effect.gen(function* () {
        const rpc = yield* PolygonRpc
        expect(yield* rpc.headBlock).toBe(world.headBlock)
        const blocks = Array.from({ length: 250 }, (_, i) => world.firstBlock + i * 977)
        const ts = yield* rpc.blockTimestamps([...blocks, blocks[0]!])
        expect(ts.size).toBe(250)
        for (const b of blocks) expect(ts.get(b)).toBe(1_777_334_400 + (b - 84_902_353) * 2)
        expect((yield* rpc.health)[0]!.requests).toBe(1 + 1 + 3)
        const past = yield* Effect.flip(rpc.blockTimestamps([world.headBlock + 10]).pipe(Effect.provideService(RequestPolicy, { ...DEFAULT_REQUEST_POLICY, maxAttempts: 1 })))
        expect(past.message).toContain(`has no block ${world.headBlock + 10}`)
      })
    ))

  it.live("a key in the path or query never appears in a log line, an error or the health", () =>
    Effect.gen(function* () {
      const secrets = [KEY_PATH, KEY_QUERY, DEAD_KEY]
      const dead = `http://127.0.0.1:1/rpc/v3/${DEAD_KEY}`
      const healthy = `${sims.healthy!.rpcUrl}/v2/${KEY_PATH}`
      const limited = `${sims.limited!.rpcUrl}?apikey=${KEY_QUERY}`
      lines.length = 0
      const texts: Array<string> = []

      // None answers: the start fails with one line naming both, redacted.
      const none = failureOf(yield* Effect.exit(pool([dead, limited], PolygonRpc)))
      expect(none).toBeInstanceOf(SourceError)
      expect(none.message).toContain("none of the 2 RPC URLs answered eth_chainId")
      expect(none.message).toContain("/rpc/v3/***")
      texts.push(none.message)

      yield* pool(
        [dead, limited, healthy],
        Effect.gen(function* () {
          const rpc = yield* PolygonRpc
          for (const f of ranges(4)) {
            yield* rpc.getLogs(f)
            yield* Effect.sleep(Duration.millis(60))
          }
          // A request every URL refuses: its error names the URL.
          const bad = yield* Effect.flip(rpc.getLogs({ ...FILLS, addresses: ["0xnot-an-address"], fromBlock: 1, toBlock: 2 }))
          texts.push(bad.message)
          const health = yield* rpc.health
          texts.push(JSON.stringify(health))
          texts.push(JSON.stringify(yield* (yield* Governor).snapshot))
          expect(health.map((h) => h.url)).toEqual(["http://127.0.0.1:1/rpc/v3/***", `${sims.limited!.rpcUrl}?apikey=***`, `${sims.healthy!.rpcUrl}/v2/***`])
          expect(health[0]!.requests).toBeGreaterThan(1)
        }),
        { failuresToSetAside: 1, setAsideMs: 50 },
        { timeout: Duration.millis(500), baseBackoff: Duration.millis(5), maxBackoff: Duration.millis(20) }
      )
      texts.push(...lines)
      expect(lines.some((l) => l.includes("set aside"))).toBe(true)
      for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret)
    }))
})
