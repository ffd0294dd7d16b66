/**
 * The governor against the simulator over loopback HTTP: latency ~100 ms, a sliding window of R
 * requests per 10 s with R such that ~40 concurrent requests saturate it.
 *
 *   node_modules/.bin/vite-node bench/governor.ts [--quick] [--requests N] [--phase SECONDS]
 *
 * 1. The same workload (N successful requests from a cold, empty window) with --workers auto (cold,
 *    then starting from the limit the cold run learned) and fixed 16, 32, 64, 128: throughput,
 *    429 share, wall time.
 * 2. One auto run while the limit changes: R, then R/2, then R again (one phase each): time to 90%
 *    of the limit from cold, after the halving and after the doubling; sustained rate and 429 share.
 *
 * The loop drives the governor directly (no engine, no ClickHouse); a 429 is retried at once, so any
 * waiting is the governor's own (Retry-After pauses, the limit).
 */
import { Clock, Effect, Fiber } from "effect"
import { SourceError } from "../src/domain/errors.js"
import { parseRetryAfter } from "../src/domain/rateLimitHeaders.js"
import { makeAdaptive } from "../src/layers/GovernorAdaptive.js"
import type { GovernorEngine } from "../src/layers/governorEngine.js"
import { makeGovernorEngine } from "../src/layers/governorEngine.js"
import { ceilingOf, defaultAimdConfig } from "../src/domain/aimd.js"
import { startSimulator } from "../src/simulator/server.js"
import { runIfDirect } from "./support.js"

export interface GovernorBenchOptions {
  /** Successful requests per table run. */
  readonly requests: number
  /** Length of each phase of the changing-limit run, seconds. */
  readonly phaseSeconds: number
  /** Concurrent requests that saturate the limit (R = saturating x 10 s / latency). */
  readonly saturating: number
  readonly latencyMs: { readonly minMs: number; readonly maxMs: number }
  /** Which parts to run (both by default). */
  readonly parts?: ReadonlyArray<1 | 2>
  /** Part 1's modes: "auto" and worker counts (default auto, 16, 32, 64, 128). */
  readonly modes?: ReadonlyArray<"auto" | number>
}

const WINDOW_MS = 10_000
const HOST = "gamma.sim"

type Mode = { readonly name: string; readonly workers: "auto" | number; readonly learned?: number }

interface Outcome {
  readonly atMs: number
  readonly ok: boolean
}

interface RunResult {
  readonly outcomes: ReadonlyArray<Outcome>
  readonly wallMs: number
  readonly learned: number | undefined
  readonly finalLimit: number
}

const meanLatency = (o: GovernorBenchOptions) => (o.latencyMs.minMs + o.latencyMs.maxMs) / 2
const limitPerWindow = (o: GovernorBenchOptions) => Math.round((o.saturating * WINDOW_MS) / meanLatency(o))

/** One GET of the cheapest real endpoint; a 429 becomes the SourceError the live clients produce. */
const request = (url: string): Effect.Effect<void, SourceError> =>
  Effect.tryPromise({
    try: (signal) => fetch(url, { signal }),
    catch: (e) => new SourceError({ reason: "Transient", host: HOST, message: String(e) })
  }).pipe(
    Effect.flatMap((res) =>
      Effect.flatMap(Effect.promise(() => res.arrayBuffer()), () => {
        if (res.status === 200) return Effect.void
        const retryAfterMs = parseRetryAfter(res.headers.get("retry-after") ?? undefined, Date.now())
        return Effect.fail(
          new SourceError({
            reason: res.status === 429 ? "RateLimited" : "Transient",
            host: HOST,
            status: res.status,
            message: `HTTP ${res.status}`,
            ...(retryAfterMs !== undefined ? { retryAfterMs } : {})
          })
        )
      })
    )
  )

const makeGovernor = (mode: Mode): Effect.Effect<GovernorEngine> =>
  mode.workers === "auto"
    ? makeAdaptive({ initial: 8, ...(mode.learned !== undefined ? { initialLimitOf: () => mode.learned } : {}) })
    : makeGovernorEngine({ initial: mode.workers, adaptive: false, aimd: defaultAimdConfig })

/**
 * Runs `clients` request loops through the governor against a fresh simulator until `done` says so.
 * Outcomes are timed from the start of the run.
 */
const runAgainstSimulator = (
  o: GovernorBenchOptions,
  mode: Mode,
  schedule: ReadonlyArray<{ readonly atMs: number; readonly limit: number }>,
  done: (okCount: number, elapsedMs: number) => boolean
): Effect.Effect<RunResult> =>
  Effect.gen(function* () {
    const sim = yield* Effect.promise(() =>
      startSimulator({
        world: { markets: 50, wallets: 20 },
        knobs: {
          latency: { gamma: o.latencyMs, data: o.latencyMs, goldsky: o.latencyMs, rpc: o.latencyMs },
          rateSchedule: { families: ["gamma"], windowMs: WINDOW_MS, steps: schedule }
        }
      })
    )
    const url = `${sim.gammaUrl}/markets/keyset?limit=1`
    const governor = yield* makeGovernor(mode)
    const outcomes: Array<Outcome> = []
    let ok = 0
    const start = yield* Clock.currentTimeMillis
    const one = Effect.flatMap(Effect.either(governor.withPermit(HOST, request(url))), (result) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const success = result._tag === "Right"
        if (success) ok += 1
        outcomes.push({ atMs: now - start, ok: success })
      })
    )
    // GOVERNOR_BENCH_TRACE=1 prints a line a second: successes, 429s, the limit, whether paused.
    if (process.env["GOVERNOR_BENCH_TRACE"] !== undefined) {
      let seen = 0
      yield* Effect.forkDaemon(Effect.forever(Effect.gen(function* () {
        yield* Effect.sleep("1 second")
        const now = yield* Clock.currentTimeMillis
        const fresh = outcomes.slice(seen)
        seen = outcomes.length
        const [snap] = yield* governor.snapshot
        const [st] = yield* governor.states
        console.log(`  t=${((now - start) / 1000).toFixed(0)} ok=${fresh.filter((x) => x.ok).length} 429=${fresh.filter((x) => !x.ok).length} limit=${snap?.limit} ceiling=${st === undefined ? "-" : ceilingOf(st.aimd)?.toFixed(1)} paused=${(snap?.pausedUntilMs ?? 0) > now}`)
      })))
    }
    const clients = mode.workers === "auto" ? defaultAimdConfig.max : mode.workers
    const fibers = yield* Effect.forEach(Array.from({ length: clients }), () => Effect.fork(Effect.forever(one)))
    while (true) {
      yield* Effect.sleep("100 millis")
      if (done(ok, (yield* Clock.currentTimeMillis) - start)) break
    }
    const wallMs = (yield* Clock.currentTimeMillis) - start
    yield* Effect.forEach(fibers, Fiber.interrupt, { discard: true })
    const [safe] = yield* governor.safeLimits
    const [snap] = yield* governor.snapshot
    yield* Effect.promise(() => sim.close())
    return { outcomes, wallMs, learned: safe?.safeLimit, finalLimit: snap?.limit ?? 0 }
  })

const share429 = (outcomes: ReadonlyArray<Outcome>) => {
  const rejected = outcomes.filter((x) => !x.ok).length
  return outcomes.length === 0 ? 0 : rejected / outcomes.length
}

const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`

/** Successes per second in [fromMs, toMs). */
const rateIn = (outcomes: ReadonlyArray<Outcome>, fromMs: number, toMs: number) =>
  outcomes.filter((x) => x.ok && x.atMs >= fromMs && x.atMs < toMs).length / ((toMs - fromMs) / 1000)

/** First time after `fromMs` at which the trailing 5 s success rate reaches `target` per second. */
const timeToReach = (outcomes: ReadonlyArray<Outcome>, fromMs: number, untilMs: number, target: number) => {
  for (let t = fromMs + 5_000; t <= untilMs; t += 250) {
    if (rateIn(outcomes, t - 5_000, t) >= target) return (t - fromMs) / 1000
  }
  return undefined
}

const out = (line: string) => Effect.sync(() => console.log(line))

/** Part 1: the same workload per mode, from a cold, empty window. */
const sameWorkload = (o: GovernorBenchOptions, R: number, perSecond: number) =>
  Effect.gen(function* () {
    yield* out(`\n1. ${o.requests} successful requests from a cold, empty window\n`)
    yield* out("| mode | throughput (ok/s) | after the first window (ok/s, % of R) | 429 share | wall time | limit at end |")
    yield* out("|---|---|---|---|---|---|")
    const constant = [{ atMs: 0, limit: R }]
    const untilDone = (okCount: number) => okCount >= o.requests
    const row = (name: string, r: RunResult) => {
      const okPerSecond = o.requests / (r.wallMs / 1000)
      // The first 10 s of an empty window admit R requests at any speed; what follows is the steady rate.
      const steady = r.wallMs > WINDOW_MS + 1000 ? rateIn(r.outcomes, WINDOW_MS, r.wallMs) : undefined
      const steadyText = steady === undefined ? "(run shorter than a window)" : `${steady.toFixed(0)}, ${pct(steady / perSecond)}`
      return out(`| ${name} | ${okPerSecond.toFixed(0)} | ${steadyText} | ${pct(share429(r.outcomes))} | ${(r.wallMs / 1000).toFixed(1)} s | ${r.finalLimit} |`)
    }
    for (const mode of o.modes ?? ["auto", 16, 32, 64, 128]) {
      if (mode !== "auto") {
        yield* row(`fixed ${mode}`, yield* runAgainstSimulator(o, { name: `fixed ${mode}`, workers: mode }, constant, untilDone))
        continue
      }
      const cold = yield* runAgainstSimulator(o, { name: "auto", workers: "auto" }, constant, untilDone)
      yield* row("auto (cold start)", cold)
      if (cold.learned !== undefined) {
        const warm = yield* runAgainstSimulator(o, { name: "auto", workers: "auto", learned: cold.learned }, constant, untilDone)
        yield* row(`auto (from the learned limit ${cold.learned})`, warm)
      }
    }
  })

/** Part 2: one auto run while the limit goes R, R/2, R. */
const changingLimit = (o: GovernorBenchOptions, R: number, perSecond: number) =>
  Effect.gen(function* () {
    const P = o.phaseSeconds * 1000
    yield* out(`\n2. auto while the limit changes: R for ${o.phaseSeconds} s, R/2 for ${o.phaseSeconds} s, R again for ${o.phaseSeconds} s\n`)
    const dynamic = yield* runAgainstSimulator(
      o,
      { name: "auto", workers: "auto" },
      [{ atMs: 0, limit: R }, { atMs: P, limit: Math.round(R / 2) }, { atMs: 2 * P, limit: R }],
      (_, elapsed) => elapsed >= 3 * P
    )
    const phases = [
      { name: "cold start, R", from: 0, limit: perSecond },
      { name: "limit halved, R/2", from: P, limit: perSecond / 2 },
      { name: "limit doubled, R", from: 2 * P, limit: perSecond }
    ]
    yield* out("| phase | time to 90% of limit | sustained (last half of phase) | % of limit | 429 share |")
    yield* out("|---|---|---|---|---|")
    for (const ph of phases) {
      const reached = timeToReach(dynamic.outcomes, ph.from, ph.from + P, 0.9 * ph.limit)
      const sustained = rateIn(dynamic.outcomes, ph.from + P / 2, ph.from + P)
      const inPhase = dynamic.outcomes.filter((x) => x.atMs >= ph.from && x.atMs < ph.from + P)
      yield* out(`| ${ph.name} | ${reached === undefined ? "not reached" : `${reached.toFixed(1)} s`} | ${sustained.toFixed(0)}/s | ${pct(sustained / ph.limit)} | ${pct(share429(inPhase))} |`)
    }
    yield* out(`\nwhole changing-limit run: ${dynamic.outcomes.filter((x) => x.ok).length} ok, 429 share ${pct(share429(dynamic.outcomes))}; time to 90% = first moment the trailing 5 s success rate is at least 90% of the limit in force`)
  })

export const runGovernorBench = (o: GovernorBenchOptions) =>
  Effect.gen(function* () {
    const R = limitPerWindow(o)
    const perSecond = R / (WINDOW_MS / 1000)
    yield* out(`governor bench: latency ${o.latencyMs.minMs}..${o.latencyMs.maxMs} ms, limit R = ${R} requests / 10 s (${perSecond}/s, ~${o.saturating} concurrent), loopback simulator`)
    const parts = o.parts ?? [1, 2]
    if (parts.includes(1)) yield* sameWorkload(o, R, perSecond)
    if (parts.includes(2)) yield* changingLimit(o, R, perSecond)
  })

/**
 * Entry point for bench/run.ts: `npm run bench -- governor [--quick] [--requests N] [--phase S]
 * [--part 1|2] [--modes auto,16,32,64,128]`.
 */
export const main = async (argv: ReadonlyArray<string>): Promise<void> => {
  const value = (name: string): number | undefined => {
    const i = argv.indexOf(name)
    return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : undefined
  }
  const quick = argv.includes("--quick")
  const modesArg = argv.indexOf("--modes")
  const modes = modesArg >= 0
    ? (argv[modesArg + 1] ?? "").split(",").map((m): "auto" | number => (m === "auto" ? "auto" : Number(m)))
    : undefined
  await Effect.runPromise(
    runGovernorBench({
      requests: value("--requests") ?? (quick ? 6_000 : 16_000),
      phaseSeconds: value("--phase") ?? (quick ? 45 : 60),
      saturating: 40,
      latencyMs: { minMs: 80, maxMs: 120 },
      ...(value("--part") !== undefined ? { parts: [value("--part") as 1 | 2] } : {}),
      ...(modes !== undefined ? { modes } : {})
    })
  )
}

runIfDirect(import.meta.url, main)
