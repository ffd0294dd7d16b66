import { Command, Options } from "@effect/cli"
import { Console, Effect, Option } from "effect"
import { UsageError } from "../domain/errors.js"
import type { Family, Knobs, LatencyRange, Profile, RateLimitRule } from "../simulator/config.js"
import { FAMILIES, parseDay, parseLatency, parseRateLimit, parseRateSchedule, profileKnobs, worldConfig } from "../simulator/config.js"
import { World } from "../simulator/world.js"
import { logOptions, withLogging } from "./common.js"

const rate = (name: string, description: string) =>
  Options.float(name).pipe(Options.withDescription(description), Options.optional)
const cap = (name: string, description: string) =>
  Options.integer(name).pipe(Options.withPseudoName("N"), Options.withDescription(description), Options.optional)

const options = {
  ...logOptions,
  port: Options.integer("port").pipe(Options.withPseudoName("N"), Options.withDescription("port on 127.0.0.1 (0 = a free port)"), Options.withDefault(0)),
  seed: Options.integer("seed").pipe(Options.withPseudoName("N"), Options.withDescription("world seed: the same seed gives the same world"), Options.withDefault(42)),
  markets: Options.integer("markets").pipe(Options.withPseudoName("N"), Options.withDescription("number of markets"), Options.withDefault(2000)),
  wallets: Options.integer("wallets").pipe(Options.withPseudoName("N"), Options.withDescription("number of trading wallets"), Options.withDefault(500)),
  fills: Options.integer("fills").pipe(Options.withPseudoName("N"), Options.withDescription("approximate number of OrderFilled events (default 50 per market)"), Options.optional),
  from: Options.text("from").pipe(Options.withPseudoName("YYYY-MM-DD"), Options.withDescription("first day of the world, YYYY-MM-DD"), Options.withDefault("2026-03-01")),
  to: Options.text("to").pipe(Options.withPseudoName("YYYY-MM-DD"), Options.withDescription("last day of the world, YYYY-MM-DD (the world's 'now')"), Options.withDefault("2026-06-01")),
  profile: Options.choice("profile", ["none", "realistic", "harsh"] as const).pipe(
    Options.withDescription("none: no faults, no limits; realistic: documented rate limits, latency, rare 5xx/hangs; harsh: a mix of everything"),
    Options.withDefault("none" as const)
  ),
  latency: Options.text("latency").pipe(
    Options.withDescription('latency in ms, "min..max" for every API or "family=min..max" (families: gamma, data, goldsky, rpc); repeatable'),
    Options.repeated
  ),
  rateLimit: Options.text("rate-limit").pipe(
    Options.withDescription('sliding-window limit "family[/path]=limit/window", e.g. "data/trades=200/10s"; replaces the profile\'s limits; repeatable'),
    Options.repeated
  ),
  rateLimitSchedule: Options.text("rate-limit-schedule").pipe(
    Options.withDescription('a limit per 10 s window that changes over time, e.g. "0s:400,60s:200,120s:400" (prefix "gamma,data=" to scope it)'),
    Options.optional
  ),
  errorRate: rate("error-rate", "share of requests answered with a 5xx"),
  hangRate: rate("hang-rate", "share of requests that hang (then answer 504 after --hang-ms)"),
  hangMs: cap("hang-ms", "how long a hung request hangs (default 300000)"),
  malformedRate: rate("malformed-rate", "share of pages carrying a row that violates the schema"),
  truncatedRate: rate("truncated-rate", "share of bodies cut in the middle"),
  maxBlockRange: cap("max-block-range", "eth_getLogs maximum block range, -32602 past it (0 = unlimited)"),
  maxLogs: cap("max-logs", "eth_getLogs result cap, -32005 past it (default 10000)"),
  chainId: cap("chain-id", "the chain id eth_chainId answers (default 137; another one tests the client's refusal)"),
  tradesOffsetMax: cap("trades-offset-max", "Data-API /trades offset cap (10000 documented, 3500 observed)"),
  activityOffsetMax: cap("activity-offset-max", "Data-API /activity offset cap (default 5000)"),
  goldskySkipMax: cap("goldsky-skip-max", "Goldsky skip cap (default unlimited)"),
  keysetLimitMax: cap("keyset-limit-max", "Gamma /markets/keyset largest limit (default 1000)")
} as const

type OptionValue<O> = O extends Options.Options<infer A> ? A : never
type Values = { readonly [K in keyof typeof options]: OptionValue<(typeof options)[K]> }

const fail = (message: string) => Effect.fail(new UsageError({ message }))

const probability = (name: string, v: Option.Option<number>, dflt: number): Effect.Effect<number, UsageError> =>
  Option.match(v, {
    onNone: () => Effect.succeed(dflt),
    onSome: (x) => (x >= 0 && x <= 1 ? Effect.succeed(x) : fail(`--${name} must be between 0 and 1, got ${x}`))
  })

/** Flags on top of the profile's knobs; one UsageError line for the first bad value. */
export const knobsOf = (v: Values): Effect.Effect<Knobs, UsageError> =>
  Effect.gen(function* () {
    const base = profileKnobs(v.profile as Profile)
    const latency: Record<Family, LatencyRange> = { ...base.latency }
    for (const text of v.latency) {
      const eq = text.indexOf("=")
      const family = eq >= 0 ? text.slice(0, eq) : undefined
      if (family !== undefined && !FAMILIES.includes(family as Family)) {
        return yield* fail(`unknown family "${family}" in --latency: use ${FAMILIES.join(", ")}`)
      }
      const range = parseLatency(eq >= 0 ? text.slice(eq + 1) : text)
      if (typeof range === "string") return yield* fail(range)
      for (const f of family !== undefined ? [family as Family] : FAMILIES) latency[f] = range
    }
    let rateLimits: ReadonlyArray<RateLimitRule> = base.rateLimits
    if (v.rateLimit.length > 0) {
      const rules: Array<RateLimitRule> = []
      for (const text of v.rateLimit) {
        const rule = parseRateLimit(text)
        if (typeof rule === "string") return yield* fail(rule)
        rules.push(rule)
      }
      rateLimits = rules
    }
    const schedule = Option.map(v.rateLimitSchedule, (s) => parseRateSchedule(s))
    if (Option.isSome(schedule) && typeof schedule.value === "string") return yield* fail(schedule.value)
    const nonNegative = (name: string, o: Option.Option<number>, dflt: number) =>
      Option.match(o, {
        onNone: () => Effect.succeed(dflt),
        onSome: (x) => (x >= 0 ? Effect.succeed(x) : fail(`--${name} must be 0 or more, got ${x}`))
      })
    const faults = {
      errorRate: yield* probability("error-rate", v.errorRate, base.faults.errorRate),
      hangRate: yield* probability("hang-rate", v.hangRate, base.faults.hangRate),
      hangMs: yield* nonNegative("hang-ms", v.hangMs, base.faults.hangMs),
      malformedRate: yield* probability("malformed-rate", v.malformedRate, base.faults.malformedRate),
      truncatedRate: yield* probability("truncated-rate", v.truncatedRate, base.faults.truncatedRate)
    }
    const caps = {
      ...base.caps,
      rpcMaxBlockRange: yield* nonNegative("max-block-range", v.maxBlockRange, base.caps.rpcMaxBlockRange),
      rpcMaxResults: yield* nonNegative("max-logs", v.maxLogs, base.caps.rpcMaxResults),
      ...Option.match(v.chainId, { onNone: () => ({}), onSome: (rpcChainId) => ({ rpcChainId }) }),
      tradesOffsetMax: yield* nonNegative("trades-offset-max", v.tradesOffsetMax, base.caps.tradesOffsetMax),
      activityOffsetMax: yield* nonNegative("activity-offset-max", v.activityOffsetMax, base.caps.activityOffsetMax),
      goldskySkipMax: yield* nonNegative("goldsky-skip-max", v.goldskySkipMax, base.caps.goldskySkipMax),
      gammaKeysetLimitMax: yield* nonNegative("keyset-limit-max", v.keysetLimitMax, base.caps.gammaKeysetLimitMax)
    }
    const knobs: Knobs = { latency, rateLimits, faults, caps }
    return Option.isSome(schedule) && typeof schedule.value !== "string" ? { ...knobs, rateSchedule: schedule.value } : knobs
  })

export const worldOf = (v: Values): Effect.Effect<World, UsageError> =>
  Effect.gen(function* () {
    const from = parseDay(v.from)
    const to = parseDay(v.to)
    if (from === undefined) return yield* fail(`--from must be a day as YYYY-MM-DD, got "${v.from}"`)
    if (to === undefined) return yield* fail(`--to must be a day as YYYY-MM-DD, got "${v.to}"`)
    if (to < from) return yield* fail(`--to (${v.to}) is before --from (${v.from})`)
    if (v.markets < 1) return yield* fail(`--markets must be at least 1, got ${v.markets}`)
    if (v.wallets < 6) return yield* fail(`--wallets must be at least 6, got ${v.wallets}`)
    if (v.seed < 0) return yield* fail(`--seed must be 0 or more, got ${v.seed}`)
    const fills = Option.getOrUndefined(v.fills)
    if (fills !== undefined && fills < 0) return yield* fail(`--fills must be 0 or more, got ${fills}`)
    const config = worldConfig({ seed: v.seed, markets: v.markets, wallets: v.wallets, from: v.from, to: v.to, ...(fills !== undefined ? { fills } : {}) })
    return yield* Effect.sync(() => new World(config))
  })

export const simulateCommand = Command.make("simulate", options, (v) =>
  Effect.gen(function* () {
    const knobs = yield* knobsOf(v)
    const world = yield* worldOf(v)
    const { layerSimulator, SimulatorServer } = yield* Effect.promise(() => import("../simulator/server.js"))
    yield* Effect.gen(function* () {
      const sim = yield* SimulatorServer
      const c = world.config
      yield* Console.log(
        [
          `polybackfill simulate: seed ${c.seed}, ${world.marketCount} markets, ${world.walletCount} wallets, ${v.from}..${v.to}, ` +
            `${world.matchCount} matches (~${c.fills} fills), profile ${v.profile}; world built in ${Math.round(world.buildMs)} ms`,
          `  --gamma-url ${sim.gammaUrl}`,
          `  --data-api-url ${sim.dataApiUrl}`,
          `  --goldsky-url ${sim.goldskyUrl}`,
          `  --rpc-url ${sim.rpcUrl}`,
          `  stats: ${sim.statsUrl} (add ?reset=1 to reset)`,
          "Serving on 127.0.0.1 until Ctrl+C."
        ].join("\n")
      )
      return yield* Effect.never
    }).pipe(
      Effect.provide(layerSimulator({ world, knobs, port: v.port })),
      Effect.catchTag("ServeError", (e) => fail(`cannot listen on 127.0.0.1:${v.port}: ${String((e.cause as Error)?.message ?? e.cause)} (pick another --port, or 0 for a free one)`))
    )
  }).pipe(withLogging(v))
).pipe(Command.withDescription("Serve a simulated Polymarket (Gamma, Data-API, Goldsky) and Polygon RPC on 127.0.0.1, for demos, tests and rehearsals."))
