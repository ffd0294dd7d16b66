import { dayStart } from "../domain/chainDays.js"

/** What the simulated world contains. Everything else is derived from these numbers and the seed. */
export interface WorldConfig {
  readonly seed: number
  readonly markets: number
  readonly wallets: number
  /** Epoch seconds of the first day (inclusive) and of the world's "now" (the end of the last day). */
  readonly fromTs: number
  readonly toTs: number
  /** Approximate number of OrderFilled events (both legs) across all markets. */
  readonly fills: number
  /** A ghost market where one wallet trades this many times in one second (paging past an offset cap); none when absent. */
  readonly burst?: Burst
}

export interface Burst {
  readonly wallet: number
  readonly trades: number
}

export const DEFAULT_FILLS_PER_MARKET = 50

/** Parses YYYY-MM-DD to epoch seconds at 00:00 UTC; undefined when malformed. */
export const parseDay = dayStart

export interface WorldOptions {
  readonly seed?: number
  readonly markets?: number
  readonly wallets?: number
  /** YYYY-MM-DD */
  readonly from?: string
  /** YYYY-MM-DD: the world ends at the end of this day. */
  readonly to?: string
  readonly fills?: number
  readonly burst?: Burst
}

/** Fills the defaults of `polybackfill simulate`; throws on malformed days (callers validate user input first). */
export const worldConfig = (options: WorldOptions = {}): WorldConfig => {
  const markets = options.markets ?? 2000
  const from = parseDay(options.from ?? "2026-03-01")
  const to = parseDay(options.to ?? "2026-06-01")
  if (from === undefined || to === undefined) throw new Error("from/to must be YYYY-MM-DD days")
  return {
    seed: (options.seed ?? 42) >>> 0,
    markets,
    wallets: options.wallets ?? 500,
    fromTs: from,
    toTs: to + 86_400 - 1,
    fills: options.fills ?? markets * DEFAULT_FILLS_PER_MARKET,
    ...(options.burst === undefined ? {} : { burst: options.burst })
  }
}

/** Endpoint families: each has its own latency, rate limits and fault counters. */
export type Family = "gamma" | "data" | "goldsky" | "rpc"
export const FAMILIES: ReadonlyArray<Family> = ["gamma", "data", "goldsky", "rpc"]

export interface LatencyRange {
  readonly minMs: number
  readonly maxMs: number
}

/** A sliding-window limit: at most `limit` accepted requests in any `windowMs`. `path` narrows it to one route prefix. */
export interface RateLimitRule {
  readonly family: Family
  readonly path?: string
  readonly limit: number
  readonly windowMs: number
}

/** A limit that changes over time (since the server started): `steps` sorted by `atMs`. */
export interface RateSchedule {
  readonly families: ReadonlyArray<Family>
  readonly windowMs: number
  readonly steps: ReadonlyArray<{ readonly atMs: number; readonly limit: number }>
}

export interface Caps {
  /** Legacy Gamma /markets: offsets above this answer 422. */
  readonly gammaOffsetMax: number
  /** Gamma keyset: larger `limit` values are clamped. */
  readonly gammaKeysetLimitMax: number
  readonly activityLimitMax: number
  /** Data-API /activity: offsets above this answer 400. */
  readonly activityOffsetMax: number
  /** /activity cuts silently instead: at most `activityOffsetMax` rows per query, short or empty pages past it, no 400. */
  readonly activityCapSilent?: boolean
  readonly tradesLimitMax: number
  /** Data-API v1 /trades: offsets above this answer 400 (10,000 documented, 3,500 observed). */
  readonly tradesOffsetMax: number
  readonly v2LimitMax: number
  readonly goldskyFirstMax: number
  /** Goldsky `skip` cap; unknown in reality, unlimited by default. */
  readonly goldskySkipMax: number
  /** eth_getLogs: maximum toBlock - fromBlock + 1 (0 = unlimited), else -32602. */
  readonly rpcMaxBlockRange: number
  /** eth_getLogs: more results than this answer -32005 with a suggested range. */
  readonly rpcMaxResults: number
  /** What eth_chainId / net_version answer (default 137): a node of another chain, for the pool's start check. */
  readonly rpcChainId?: number
  /** eth_getLogs without `blockTimestamp` in each log (older nodes): clients must read block headers. Default: included, as current nodes do. */
  readonly rpcLogsWithoutTimestamp?: boolean
}

export interface Faults {
  /** Probability of a 5xx answer. */
  readonly errorRate: number
  /** Probability that a request hangs for `hangMs` (then answers 504). */
  readonly hangRate: number
  readonly hangMs: number
  /** Probability that a page is syntactically valid but holds a row that violates the schema. */
  readonly malformedRate: number
  /** Probability that a body is cut in the middle. */
  readonly truncatedRate: number
}

export interface Knobs {
  readonly latency: Readonly<Record<Family, LatencyRange>>
  readonly rateLimits: ReadonlyArray<RateLimitRule>
  readonly rateSchedule?: RateSchedule
  readonly faults: Faults
  readonly caps: Caps
}

export type Profile = "none" | "realistic" | "harsh"

const NO_LATENCY: LatencyRange = { minMs: 0, maxMs: 0 }

const DEFAULT_CAPS: Caps = {
  gammaOffsetMax: 2000,
  gammaKeysetLimitMax: 1000,
  activityLimitMax: 500,
  activityOffsetMax: 5000,
  tradesLimitMax: 10000,
  tradesOffsetMax: 10000,
  v2LimitMax: 1000,
  goldskyFirstMax: 1000,
  goldskySkipMax: Number.POSITIVE_INFINITY,
  rpcMaxBlockRange: 0,
  rpcMaxResults: 10000
}

const NO_FAULTS: Faults = { errorRate: 0, hangRate: 0, hangMs: 300_000, malformedRate: 0, truncatedRate: 0 }

/** The documented limits (requests per 10 s), polymarket-sources.md §1 and §2. */
export const DOCUMENTED_LIMITS: ReadonlyArray<RateLimitRule> = [
  { family: "gamma", limit: 4000, windowMs: 10_000 },
  { family: "gamma", path: "/markets", limit: 300, windowMs: 10_000 },
  { family: "data", limit: 1000, windowMs: 10_000 },
  { family: "data", path: "/trades", limit: 200, windowMs: 10_000 },
  { family: "data", path: "/positions", limit: 150, windowMs: 10_000 },
  { family: "goldsky", limit: 1000, windowMs: 10_000 },
  { family: "rpc", limit: 500, windowMs: 10_000 }
]

export const profileKnobs = (profile: Profile): Knobs => {
  switch (profile) {
    case "none":
      return {
        latency: { gamma: NO_LATENCY, data: NO_LATENCY, goldsky: NO_LATENCY, rpc: NO_LATENCY },
        rateLimits: [],
        faults: NO_FAULTS,
        caps: DEFAULT_CAPS
      }
    case "realistic":
      return {
        latency: {
          gamma: { minMs: 40, maxMs: 160 },
          data: { minMs: 40, maxMs: 200 },
          goldsky: { minMs: 80, maxMs: 400 },
          rpc: { minMs: 30, maxMs: 150 }
        },
        rateLimits: DOCUMENTED_LIMITS,
        faults: { ...NO_FAULTS, errorRate: 0.002, hangRate: 0.0005 },
        caps: { ...DEFAULT_CAPS, tradesOffsetMax: 3500, rpcMaxBlockRange: 10_000 }
      }
    case "harsh":
      return {
        latency: {
          gamma: { minMs: 50, maxMs: 400 },
          data: { minMs: 50, maxMs: 500 },
          goldsky: { minMs: 100, maxMs: 900 },
          rpc: { minMs: 50, maxMs: 400 }
        },
        rateLimits: DOCUMENTED_LIMITS.map((r) => ({ ...r, limit: Math.max(1, Math.floor(r.limit / 4)) })),
        faults: { errorRate: 0.03, hangRate: 0.005, hangMs: 120_000, malformedRate: 0.02, truncatedRate: 0.01 },
        caps: { ...DEFAULT_CAPS, tradesOffsetMax: 3500, goldskySkipMax: 5000, rpcMaxBlockRange: 2000 }
      }
  }
}

/**
 * Parses `0s:400,60s:200,120s:400` (limit per window from each offset since start), optionally scoped
 * as `gamma,data=0s:400,...`. Returns an error line for bad input.
 */
export const parseRateSchedule = (text: string, windowMs = 10_000): RateSchedule | string => {
  const eq = text.indexOf("=")
  const scope = eq >= 0 ? text.slice(0, eq).split(",").map((s) => s.trim()) : [...FAMILIES]
  for (const f of scope) {
    if (!FAMILIES.includes(f as Family)) return `unknown endpoint family "${f}" in --rate-limit-schedule: use ${FAMILIES.join(", ")}`
  }
  const steps: Array<{ atMs: number; limit: number }> = []
  for (const part of (eq >= 0 ? text.slice(eq + 1) : text).split(",")) {
    const m = /^\s*(\d+(?:\.\d+)?)(ms|s|m)?:(\d+)\s*$/.exec(part)
    if (m === null) return `bad step "${part}" in --rate-limit-schedule: expected e.g. "0s:400,60s:200,120s:400" (offset:limit per window)`
    const n = Number(m[1])
    const atMs = m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000
    steps.push({ atMs, limit: Number(m[3]) })
  }
  steps.sort((a, b) => a.atMs - b.atMs)
  if (steps.length === 0 || steps[0]!.atMs !== 0) return `--rate-limit-schedule must start at 0s, e.g. "0s:400,60s:200"`
  return { families: scope as ReadonlyArray<Family>, windowMs, steps }
}

/** Parses `family[/path]=limit/10s`, e.g. `data/trades=200/10s` or `rpc=50/1s`. */
export const parseRateLimit = (text: string): RateLimitRule | string => {
  const m = /^\s*(gamma|data|goldsky|rpc)(\/[A-Za-z0-9/_-]*)?=(\d+)\/(\d+)(ms|s|m)\s*$/.exec(text)
  if (m === null) return `bad --rate-limit "${text}": expected family[/path]=limit/window, e.g. "data/trades=200/10s" (families: ${FAMILIES.join(", ")})`
  const n = Number(m[4])
  const windowMs = m[5] === "ms" ? n : m[5] === "m" ? n * 60_000 : n * 1000
  const base = { family: m[1] as Family, limit: Number(m[3]), windowMs }
  return m[2] !== undefined ? { ...base, path: m[2] } : base
}

/** Parses `min..max` or `n` milliseconds. */
export const parseLatency = (text: string): LatencyRange | string => {
  const m = /^\s*(\d+)(?:\.\.(\d+))?\s*(?:ms)?\s*$/.exec(text)
  if (m === null) return `bad latency "${text}": expected milliseconds as "min..max" or "n", e.g. "50..150"`
  const minMs = Number(m[1])
  const maxMs = m[2] !== undefined ? Number(m[2]) : minMs
  if (maxMs < minMs) return `bad latency "${text}": max is below min`
  return { minMs, maxMs }
}
