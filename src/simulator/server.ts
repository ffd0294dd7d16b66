// Module subpaths rather than package indexes: the indexes load every module of the package, which
// costs about 40 MB of resident memory in a process that only runs the simulator (benchmarks).
import * as HttpServer from "@effect/platform/HttpServer"
import type { ServeError } from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { createServer } from "node:http"
import { Rng } from "../domain/prng.js"
import type { Family, Knobs, Profile, WorldConfig, WorldOptions } from "./config.js"
import { profileKnobs, worldConfig } from "./config.js"
import { handleDataApi } from "./dataApi.js"
import { handleGamma } from "./gamma.js"
import { handleGoldsky } from "./goldsky.js"
import type { SimRequest, SimResponse } from "./response.js"
import { cloudflareHtml, json } from "./response.js"
import { RateLimiter } from "./rateLimit.js"
import { handleRpc, rpcMethodsOf } from "./rpc.js"
import { SimStats } from "./stats.js"
import { walletIndexAsync } from "./walletIndex.js"
import { World } from "./world.js"
import type { SourceUrls } from "../domain/settings.js"

/** Where each simulated API lives under the server's base URL. */
export const PATHS = {
  gamma: "/gamma",
  data: "/data-api",
  goldsky: "/goldsky/subgraphs/orderbook-subgraph/0.0.1/gn",
  rpc: "/rpc",
  stats: "/__sim/stats"
} as const

const PREFIX: ReadonlyArray<readonly [Family, string]> = [
  ["gamma", PATHS.gamma],
  ["data", PATHS.data],
  ["goldsky", "/goldsky"],
  ["rpc", PATHS.rpc]
]

export interface SimulatorHandle {
  readonly baseUrl: string
  readonly gammaUrl: string
  readonly dataApiUrl: string
  readonly goldskyUrl: string
  readonly rpcUrl: string
  readonly statsUrl: string
  readonly world: World
  readonly knobs: Knobs
}

export class SimulatorServer extends Context.Tag("polybackfill/SimulatorServer")<SimulatorServer, SimulatorHandle>() {}

/** The block range of a single eth_getLogs call, and whether it was refused (an error answer). */
const noteGetLogs = (stats: SimStats, body: string, answer: string): void => {
  try {
    const filter = (JSON.parse(body) as { params?: Array<{ fromBlock?: string; toBlock?: string }> }).params?.[0]
    const from = Number.parseInt(filter?.fromBlock ?? "", 16)
    const to = Number.parseInt(filter?.toBlock ?? "", 16)
    // A single call's answer starts {"jsonrpc":"2.0","id":…,"error":… when refused; never scan a large result.
    if (Number.isFinite(from) && Number.isFinite(to)) stats.noteGetLogs({ from, to, refused: answer.slice(0, 120).includes('"error":{') })
  } catch {
    // not a readable call: the counters already hold it
  }
}

/** The source URLs a client passes as --gamma-url, --data-api-url, --goldsky-url and --rpc-url. */
export const simulatorSources = (sim: SimulatorHandle): SourceUrls => ({
  gamma: sim.gammaUrl,
  dataApi: sim.dataApiUrl,
  goldsky: sim.goldskyUrl,
  rpc: [sim.rpcUrl]
})

export interface SimulatorOptions {
  readonly world?: World | WorldConfig | WorldOptions
  readonly profile?: Profile
  /** Overrides on top of the profile's knobs. */
  readonly knobs?: Partial<Knobs>
  readonly port?: number
  readonly host?: string
}

export const resolveWorld = (w: SimulatorOptions["world"]): World =>
  w instanceof World ? w : w !== undefined && "fromTs" in w ? new World(w) : new World(worldConfig(w))

export const resolveKnobs = (options: SimulatorOptions): Knobs => ({ ...profileKnobs(options.profile ?? "none"), ...options.knobs })

/** The answer of a handler for one family. */
const dispatch = (world: World, knobs: Knobs, family: Family, req: SimRequest): SimResponse => {
  switch (family) {
    case "gamma":
      return handleGamma(world, knobs.caps, req)
    case "data":
      return handleDataApi(world, knobs.caps, req)
    case "goldsky":
      return handleGoldsky(world, knobs.caps, req)
    case "rpc":
      return handleRpc(world, knobs.caps, req)
  }
}

const rateLimited = (family: Family, path: string, retryAfterS: number, traceId: string): SimResponse => {
  const headers = { "retry-after": String(retryAfterS) }
  switch (family) {
    case "data":
      return path.startsWith("/v2/")
        ? json(429, { error: "rate limit exceeded", code: "rate_limited", retryable: true, trace_id: traceId }, headers)
        : { status: 429, contentType: "text/html; charset=UTF-8", body: cloudflareHtml(429, "You are being rate limited", traceId.slice(0, 16)), headers }
    case "gamma":
      return { status: 429, contentType: "text/html; charset=UTF-8", body: cloudflareHtml(429, "You are being rate limited", traceId.slice(0, 16)), headers }
    case "goldsky":
      return json(429, { errors: [{ message: "Too many requests, please slow down" }] }, headers)
    case "rpc":
      return json(429, { jsonrpc: "2.0", id: null, error: { code: 429, message: "Too many requests: rate limit exceeded" } }, headers)
  }
}

const serverError = (family: Family, path: string, traceId: string): SimResponse => {
  switch (family) {
    case "data":
      return path.startsWith("/v2/")
        ? json(503, { error: "dependency unavailable", code: "dependency_unavailable", retryable: true, trace_id: traceId }, { "retry-after": "1" })
        : json(500, { error: "internal server error" })
    case "gamma":
      return { status: 502, contentType: "text/html; charset=UTF-8", body: cloudflareHtml(502, "Bad gateway", traceId.slice(0, 16)) }
    case "goldsky":
      return json(503, { errors: [{ message: "Service unavailable: indexer overloaded" }] })
    case "rpc":
      return json(503, { jsonrpc: "2.0", id: null, error: { code: -32603, message: "upstream unavailable" } })
  }
}

/**
 * The simulator as an HTTP app over a world. All time-dependent behaviour (sliding windows, the rate
 * schedule, latency, hangs) reads Effect's Clock, so a TestClock drives it.
 */
export const makeSimulatorApp = (world: World, knobs: Knobs) =>
  Effect.gen(function* () {
    const startedAt = yield* Clock.currentTimeMillis
    const limiter = new RateLimiter(knobs.rateLimits, knobs.rateSchedule, startedAt)
    const stats = new SimStats(startedAt)
    const rng = new Rng(world.seed, 0x5e12)
    let traceCounter = 0
    const faults = knobs.faults

    const app = Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const url = new URL(request.url, "http://simulator")
      const now = yield* Clock.currentTimeMillis
      if (url.pathname === PATHS.stats) {
        // With node --expose-gc, ?gc=1 collects first, so benchmarks can see live memory.
        const gc = (globalThis as { gc?: () => void }).gc
        if (url.searchParams.get("gc") === "1" && gc !== undefined) gc()
        const m = process.memoryUsage()
        const snap = {
          ...stats.snapshot(now),
          process: { rssBytes: m.rss, peakRssBytes: process.resourceUsage().maxRSS * 1024, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, arrayBuffersBytes: m.arrayBuffers }
        }
        if (url.searchParams.get("reset") === "1" || url.searchParams.get("reset") === "true") stats.reset(now)
        return HttpServerResponse.text(JSON.stringify(snap), { contentType: "application/json" })
      }
      const hit = PREFIX.find(([, prefix]) => url.pathname === prefix || url.pathname.startsWith(prefix + "/"))
      if (hit === undefined) return HttpServerResponse.text(`no simulated API at ${url.pathname}`, { status: 404 })
      const [family, prefix] = hit
      const path = family === "goldsky" ? "/graphql" : family === "rpc" ? "/" : url.pathname.slice(prefix.length) || "/"
      const body = request.method === "POST" ? yield* Effect.orElseSucceed(request.text, () => "") : ""
      const endpoint = family === "rpc" ? `rpc ${rpcMethodsOf(body)}` : `${family} ${path}`
      const traceId = `${(++traceCounter).toString(16).padStart(8, "0")}${rng.u32().toString(16).padStart(8, "0")}`
      stats.bump(endpoint, "requests")

      const respond = (r: SimResponse) => {
        const headers: Record<string, string> = { ...r.headers }
        if (family === "data") headers["x-trace-id"] = traceId
        return HttpServerResponse.text(r.body, { status: r.status, contentType: r.contentType, headers })
      }

      const decision = limiter.check(family, path, now)
      if (!decision.allowed) {
        stats.bump(endpoint, "rateLimited")
        return respond(rateLimited(family, path, Math.max(1, Math.ceil(decision.retryAfterMs / 1000)), traceId))
      }
      if (faults.hangRate > 0 && rng.next() < faults.hangRate) {
        stats.bump(endpoint, "hangs")
        yield* Effect.sleep(Duration.millis(faults.hangMs))
        return respond({ status: 504, contentType: "text/html; charset=UTF-8", body: cloudflareHtml(504, "Gateway time-out", traceId.slice(0, 16)) })
      }
      const latency = knobs.latency[family]
      if (latency.maxMs > 0) yield* Effect.sleep(Duration.millis(latency.minMs + rng.next() * (latency.maxMs - latency.minMs)))
      if (faults.errorRate > 0 && rng.next() < faults.errorRate) {
        stats.bump(endpoint, "errors")
        return respond(serverError(family, path, traceId))
      }
      const malformed = faults.malformedRate > 0 && rng.next() < faults.malformedRate
      const simReq: SimRequest = {
        method: request.method,
        path,
        query: url.searchParams,
        body,
        malformed,
        draw: rng.next(),
        nowMs: now,
        traceId
      }
      if (family === "data") yield* Effect.promise(() => walletIndexAsync(world))
      let answer = dispatch(world, knobs, family, simReq)
      if (endpoint === "rpc eth_getLogs") noteGetLogs(stats, body, answer.body)
      if (answer.status >= 500) stats.bump(endpoint, "errors")
      else if (answer.status >= 400) stats.bump(endpoint, "clientErrors")
      else {
        stats.bump(endpoint, "ok")
        if (malformed) stats.bump(endpoint, "malformed")
        if (faults.truncatedRate > 0 && rng.next() < faults.truncatedRate) {
          stats.bump(endpoint, "truncated")
          answer = { ...answer, body: answer.body.slice(0, Math.floor(answer.body.length * (0.2 + 0.7 * rng.next()))) }
        }
      }
      return respond(answer)
    }).pipe(
      Effect.catchAllDefect((defect) =>
        Effect.succeed(HttpServerResponse.text(`simulator defect: ${String(defect)}`, { status: 500 }))
      )
    )
    return { app, stats }
  })

/** Serves the simulator on an HttpServer already in context and returns its URLs. */
export const serveSimulator = (world: World, knobs: Knobs) =>
  Effect.gen(function* () {
    const server = yield* HttpServer.HttpServer
    const { app } = yield* makeSimulatorApp(world, knobs)
    yield* server.serve(app)
    const address = server.address
    const base =
      address._tag === "TcpAddress" ? `http://${address.hostname === "0.0.0.0" ? "127.0.0.1" : address.hostname}:${address.port}` : `http://unix:${address.path}`
    const handle: SimulatorHandle = {
      baseUrl: base,
      gammaUrl: base + PATHS.gamma,
      dataApiUrl: base + PATHS.data,
      goldskyUrl: base + PATHS.goldsky,
      rpcUrl: base + PATHS.rpc,
      statsUrl: base + PATHS.stats,
      world,
      knobs
    }
    return handle
  })

/**
 * The simulator on 127.0.0.1 (a random port unless `port` is given), as a Layer: tests, the demo and
 * benchmarks start it with `Effect.provide(layerSimulator({ world: { markets: 200 } }))`. Provided
 * inside a test, its handlers run on the test's TestClock.
 */
export const layerSimulator = (options: SimulatorOptions = {}): Layer.Layer<SimulatorServer, ServeError> =>
  Layer.scoped(
    SimulatorServer,
    Effect.suspend(() => serveSimulator(resolveWorld(options.world), resolveKnobs(options)))
  ).pipe(Layer.provide(NodeHttpServer.layerServer(() => createServer(), { port: options.port ?? 0, host: options.host ?? "127.0.0.1" })))

/** Starts the simulator outside Effect (benchmarks, scripts); `close` stops it. */
export const startSimulator = async (options: SimulatorOptions = {}): Promise<SimulatorHandle & { readonly close: () => Promise<void> }> => {
  const scope = Effect.runSync(Scope.make())
  const handle = await Effect.runPromise(Layer.buildWithScope(layerSimulator(options), scope).pipe(Effect.map(Context.get(SimulatorServer))))
  return { ...handle, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}
