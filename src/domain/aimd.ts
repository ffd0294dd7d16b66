/**
 * The arithmetic of one host's concurrency limit: additive (time-based) increase while busy and healthy,
 * multiplicative decrease on 429 / 503 / timeouts / latency inflation, bounds. Pure: the governor layer
 * owns the clock and the permits and feeds outcomes in.
 *
 * Growth is measured per second rather than per response: the limits it meets are sliding windows of
 * seconds (Polymarket: requests per 10 s), so a per-response increase (+1 per RTT, as TCP does) would
 * overshoot by the whole window before the first 429 could say so. After a 429 the limit settles just
 * under the concurrency the host actually sustained (successes per window x latency, Little's law),
 * which is where a rate limit really is; it then stays at or below that ceiling and probes above it
 * only every `probeHoldMs`, since each 429 costs a Retry-After pause of the whole host.
 */

export interface AimdConfig {
  readonly min: number
  readonly max: number
  /** Permits added per second of busy, healthy traffic... */
  readonly growthPerSecond: number
  /** ...plus this fraction of the current limit per second (so large limits are found in reasonable time). */
  readonly growthProportion: number
  /** Factor applied on a 429, 503 or timeout. */
  readonly backoff: number
  /** Gentler factor applied when latency inflates (the server queues rather than refuses). */
  readonly latencyBackoff: number
  /** After a 429, settle at this fraction of the concurrency the host actually sustained (Little's law). */
  readonly headroom: number
  /** No growth for this long after a decrease: the window that refused us needs time to drain. */
  readonly holdMs: number
  /**
   * Latency above this multiple of its recent minimum counts as congestion. Generous on purpose: a
   * busy client (ClickHouse inserting on the same cores) inflates measured latency too.
   */
  readonly latencyTolerance: number
  /** At most one latency-driven cut per this interval: inflation that outlasts a cut is not all ours. */
  readonly latencyCutIntervalMs: number
  /** Span over which successes are counted to estimate the sustainable rate (the servers' window). */
  readonly goodputWindowMs: number
  /**
   * Above the ceiling (where the last 429 happened) the limit waits this long before probing again.
   * Every 429 costs a Retry-After pause, so probing rarely but briskly (at the normal growth rate) beats
   * creeping: a raised server limit is still found within this hold plus a few seconds. It also
   * outlasts the server's window, so the hole the pause left there cannot flatter the probe.
   */
  readonly probeHoldMs: number
  /** Growth while probing above the ceiling: growthPerSecond plus this fraction of the limit a second. */
  readonly probeGrowthProportion: number
  /**
   * 503s, 504s and timeouts cut the limit only when they are more than this share of recent answers:
   * a flaky upstream's scattered 5xx or a hung request is not congestion, an overloaded one is.
   */
  readonly overloadShare: number
  /** Grow only while at least this fraction of the limit is in use: an idle limit proves nothing. */
  readonly busyFraction: number
  /** A limit held this long without congestion counts as safe (persisted for the next run). */
  readonly settleMs: number
}

export const defaultAimdConfig: AimdConfig = {
  min: 1,
  max: 256,
  growthPerSecond: 1,
  growthProportion: 0.05,
  backoff: 0.7,
  latencyBackoff: 0.9,
  headroom: 0.95,
  holdMs: 2_000,
  latencyTolerance: 3,
  latencyCutIntervalMs: 5_000,
  goodputWindowMs: 10_000,
  probeHoldMs: 20_000,
  probeGrowthProportion: 0.15,
  overloadShare: 0.15,
  busyFraction: 0.5,
  settleMs: 10_000
}

/** Latency samples before the smoothed latency is used for Little's law. */
const LATENCY_WARMUP = 20
const LATENCY_ALPHA = 0.05
/** Latency is judged per second (its mean), so one stall of the event loop is not a trend. */
const LATENCY_SECOND_MS = 1_000
/** A second with fewer answers than this says nothing about latency. */
const LATENCY_MIN_PER_SECOND = 5
/** Weight of each second's mean in `smoothMs` (a time constant of about three seconds). */
const SMOOTH_ALPHA = 0.3
/** The "recent minimum" is the lowest per-second mean over the current and the previous 30 s bucket. */
const LATENCY_BUCKET_MS = 30_000
/** Longest gap credited to growth at once (after a pause, growth does not jump). */
const MAX_GROWTH_STEP_MS = 1_000
const GOODPUT_BUCKET_MS = 1_000

/** Notes the limit in force now; seconds without answers inherit it. */
const recordLimit = (recent: AimdState["recentLimits"], limit: number, nowMs: number): AimdState["recentLimits"] => {
  const second = Math.floor(nowMs / 1000)
  const size = recent.mins.length
  const mins = recent.mins.slice()
  for (let s = recent.lastSecond + 1; s <= Math.min(second, recent.lastSecond + size); s++) mins[s % size] = limit
  const i = Math.max(second, recent.lastSecond) % size
  mins[i] = Math.min(mins[i]!, limit)
  return { mins, lastSecond: Math.max(second, recent.lastSecond) }
}
/** The overload share is a plain mean over the first answers, then an EWMA over about this many. */
const OVERLOAD_SPAN = 50

const recordOverload = (o: AimdState["overload"], overloaded: boolean): AimdState["overload"] => {
  const samples = o.samples + 1
  const alpha = Math.max(1 / OVERLOAD_SPAN, 1 / samples)
  return { fraction: o.fraction + alpha * ((overloaded ? 1 : 0) - o.fraction), samples }
}

export interface LatencyStats {
  /** Smoothed latency of recent answers (for Little's law). */
  readonly ewmaMs: number
  readonly samples: number
  readonly second: number
  readonly secondSumMs: number
  readonly secondCount: number
  /** Means of the last two seconds that had enough answers, newest last. */
  readonly recentMeansMs: ReadonlyArray<number>
  /** Per-second means smoothed over a few seconds (0 until the first second ends): steadier than ewmaMs. */
  readonly smoothMs: number
  readonly minCurrentMs: number
  readonly minPreviousMs: number
  readonly bucketStartMs: number
}

/** Successes per second over the goodput window, as a ring indexed by absolute second. */
export interface Goodput {
  readonly counts: ReadonlyArray<number>
  readonly lastSecond: number
}

export interface AimdState {
  readonly limit: number
  /** Bumped on every decrease: an outcome of a request started under an older generation is stale. */
  readonly generation: number
  readonly lastGrowthMs: number
  readonly holdUntilMs: number
  readonly lastCongestionMs: number
  readonly safeLimit: number
  /** The lowest limit in force in each of the last settleMs seconds (ring by absolute second). */
  readonly recentLimits: { readonly mins: ReadonlyArray<number>; readonly lastSecond: number }
  /**
   * Where the last congestion happened. Growth below it is fast; above it the limit waits, then probes.
   * After a 429 it is a rate (successes per ms the host allowed), turned into a concurrency with the
   * typical latency: a rate limit caps requests per second, so when answers slow down (a busy client)
   * more of them may be in flight. Other congestion leaves a plain concurrency.
   */
  readonly ceiling: { readonly perMs: number } | { readonly concurrency: number } | undefined
  /** Share of recent answers that were 503/504 or timeouts (a running mean, then an EWMA). */
  readonly overload: { readonly fraction: number; readonly samples: number }
  readonly latency: LatencyStats
  readonly goodput: Goodput
}

export const clampLimit = (config: Pick<AimdConfig, "min" | "max">, limit: number): number =>
  Math.min(config.max, Math.max(config.min, limit))

/** The whole permits a limit grants (never below 1). */
export const permitsOf = (limit: number): number => Math.max(1, Math.floor(limit))

/**
 * A fresh host. `learned` (a safe limit from an earlier run) starts it there, treated as a ceiling:
 * it is probed above only after `probeHoldMs`, like a limit this run found itself.
 */
export const initialState = (config: AimdConfig, limit: number, nowMs: number, learned = false): AimdState => {
  const start = clampLimit(config, limit)
  return {
    limit: start,
    generation: 0,
    lastGrowthMs: nowMs,
    holdUntilMs: nowMs,
    lastCongestionMs: nowMs,
    safeLimit: start,
    recentLimits: {
      mins: Array.from({ length: Math.max(1, Math.ceil(config.settleMs / 1000)) }, () => start),
      lastSecond: Math.floor(nowMs / 1000)
    },
    ceiling: learned ? { concurrency: start } : undefined,
    overload: { fraction: 0, samples: 0 },
    latency: emptyLatency(nowMs),
    goodput: { counts: Array.from({ length: Math.max(1, Math.ceil(config.goodputWindowMs / GOODPUT_BUCKET_MS)) }, () => 0), lastSecond: Math.floor(nowMs / GOODPUT_BUCKET_MS) }
  }
}

const emptyLatency = (nowMs: number): LatencyStats => ({
  ewmaMs: 0,
  samples: 0,
  second: Math.floor(nowMs / LATENCY_SECOND_MS),
  secondSumMs: 0,
  secondCount: 0,
  recentMeansMs: [],
  smoothMs: 0,
  minCurrentMs: Infinity,
  minPreviousMs: Infinity,
  bucketStartMs: nowMs
})

export const recordLatency = (stats: LatencyStats, latencyMs: number, nowMs: number): LatencyStats => {
  const ewmaMs = stats.samples === 0 ? latencyMs : stats.ewmaMs + LATENCY_ALPHA * (latencyMs - stats.ewmaMs)
  const second = Math.floor(nowMs / LATENCY_SECOND_MS)
  let { minCurrentMs, minPreviousMs, bucketStartMs, recentMeansMs, secondSumMs, secondCount, smoothMs } = stats
  if (second !== stats.second) {
    if (secondCount > 0) {
      const mean = secondSumMs / secondCount
      smoothMs = smoothMs === 0 ? mean : smoothMs + SMOOTH_ALPHA * (mean - smoothMs)
    }
    if (secondCount >= LATENCY_MIN_PER_SECOND) {
      const mean = secondSumMs / secondCount
      recentMeansMs = [...recentMeansMs.slice(-1), mean]
      if (nowMs - bucketStartMs >= LATENCY_BUCKET_MS) {
        minPreviousMs = minCurrentMs
        minCurrentMs = Infinity
        bucketStartMs = nowMs
      }
      minCurrentMs = Math.min(minCurrentMs, mean)
    }
    secondSumMs = 0
    secondCount = 0
  }
  return {
    ewmaMs,
    samples: stats.samples + 1,
    second,
    secondSumMs: secondSumMs + latencyMs,
    secondCount: secondCount + 1,
    recentMeansMs,
    smoothMs,
    minCurrentMs,
    minPreviousMs,
    bucketStartMs
  }
}

/** Latency for Little's law: the smoothed per-second mean once there is one. */
export const typicalLatencyMs = (stats: LatencyStats): number => (stats.smoothMs > 0 ? stats.smoothMs : stats.ewmaMs)

export const latencyBaselineMs = (stats: LatencyStats): number => Math.min(stats.minCurrentMs, stats.minPreviousMs)

/**
 * The last two seconds' mean latency both well above the recent minimum, and this very answer too
 * (not just the tail of requests sent before the last cut).
 */
export const latencyInflated = (config: AimdConfig, stats: LatencyStats, sampleMs: number): boolean => {
  const baseline = latencyBaselineMs(stats)
  const threshold = config.latencyTolerance * baseline
  return Number.isFinite(baseline) && baseline > 0 && stats.recentMeansMs.length === 2 &&
    stats.recentMeansMs.every((m) => m > threshold) && sampleMs > threshold
}

const advanceGoodput = (goodput: Goodput, nowMs: number): Goodput => {
  const second = Math.floor(nowMs / GOODPUT_BUCKET_MS)
  if (second <= goodput.lastSecond) return goodput
  const size = goodput.counts.length
  const counts = goodput.counts.slice()
  for (let s = goodput.lastSecond + 1; s <= Math.min(second, goodput.lastSecond + size); s++) counts[s % size] = 0
  return { counts, lastSecond: second }
}

export const recordSuccess = (goodput: Goodput, nowMs: number): Goodput => {
  const advanced = advanceGoodput(goodput, nowMs)
  const counts = advanced.counts.slice()
  const i = advanced.lastSecond % counts.length
  counts[i] = counts[i]! + 1
  return { counts, lastSecond: advanced.lastSecond }
}

export const successesInWindow = (goodput: Goodput, nowMs: number): number =>
  advanceGoodput(goodput, nowMs).counts.reduce((a, b) => a + b, 0)

/**
 * The concurrency the host actually sustained over the goodput window: rate x latency (Little's law).
 * Undefined until there is enough to go on.
 */
export const sustainedConcurrency = (config: AimdConfig, state: AimdState, nowMs: number): number | undefined => {
  if (state.latency.samples < LATENCY_WARMUP) return undefined
  // The newest bucket is still filling: the ring covers the older buckets plus part of this second.
  const coveredMs = (state.goodput.counts.length - 1) * GOODPUT_BUCKET_MS + (nowMs % GOODPUT_BUCKET_MS)
  const perMs = successesInWindow(state.goodput, nowMs) / Math.max(GOODPUT_BUCKET_MS, Math.min(config.goodputWindowMs, coveredMs))
  return perMs * typicalLatencyMs(state.latency)
}

/** The ceiling as a concurrency, at the typical latency. */
export const ceilingOf = (state: AimdState): number | undefined =>
  state.ceiling === undefined
    ? undefined
    : "perMs" in state.ceiling
    ? state.ceiling.perMs * typicalLatencyMs(state.latency)
    : state.ceiling.concurrency

const decrease = (config: AimdConfig, state: AimdState, nowMs: number, factor: number, useEstimate: boolean): AimdState => {
  let next = state.limit * factor
  let ceiling: AimdState["ceiling"] = { concurrency: state.limit }
  const sustained = useEstimate ? sustainedConcurrency(config, state, nowMs) : undefined
  // Refused above what the host sustained: settle just under that (after a burst into an empty window
  // the limit may be far above it; one step still never cuts deeper than to a quarter). If the
  // sustained figure is not below the limit it is stale (the server's limit just fell): back off.
  if (sustained !== undefined && sustained * config.headroom < state.limit) {
    next = Math.max(sustained * config.headroom, state.limit * 0.25)
    ceiling = { perMs: sustained / typicalLatencyMs(state.latency) }
  }
  const limit = clampLimit(config, next)
  return {
    ...state,
    limit,
    generation: state.generation + 1,
    lastGrowthMs: nowMs,
    holdUntilMs: nowMs + config.holdMs,
    lastCongestionMs: nowMs,
    safeLimit: Math.min(state.safeLimit, permitsOf(limit)),
    recentLimits: recordLimit(state.recentLimits, limit, nowMs),
    ceiling
  }
}

export interface SuccessSample {
  readonly nowMs: number
  /** The generation the request started under. */
  readonly generation: number
  readonly latencyMs: number
  /** Requests in flight when this one finished (itself included). */
  readonly inFlight: number
}

export const onSuccess = (config: AimdConfig, state: AimdState, sample: SuccessSample): AimdState => {
  const latency = recordLatency(state.latency, sample.latencyMs, sample.nowMs)
  const recorded: AimdState = {
    ...state,
    latency,
    goodput: recordSuccess(state.goodput, sample.nowMs),
    overload: recordOverload(state.overload, false)
  }
  if (
    sample.generation === state.generation &&
    sample.nowMs - state.lastCongestionMs >= config.latencyCutIntervalMs &&
    latencyInflated(config, latency, sample.latencyMs)
  ) {
    return decrease(config, recorded, sample.nowMs, config.latencyBackoff, false)
  }
  const busy = sample.inFlight >= config.busyFraction * permitsOf(state.limit)
  const growing = sample.nowMs >= state.holdUntilMs && busy
  const dt = Math.min(MAX_GROWTH_STEP_MS, Math.max(0, sample.nowMs - state.lastGrowthMs))
  const ceiling = ceilingOf(state)
  const probing = ceiling !== undefined && state.limit >= ceiling
  const perSecond = !probing
    ? config.growthPerSecond + config.growthProportion * state.limit
    : sample.nowMs - state.lastCongestionMs < config.probeHoldMs
    ? 0
    : config.growthPerSecond + config.probeGrowthProportion * state.limit
  const limit = growing ? clampLimit(config, state.limit + perSecond * (dt / 1000)) : state.limit
  const recentLimits = recordLimit(state.recentLimits, limit, sample.nowMs)
  // Safe = every limit in force over the last settleMs, all of it without congestion.
  const settled = sample.nowMs - state.lastCongestionMs >= config.settleMs
  return {
    ...recorded,
    limit,
    lastGrowthMs: sample.nowMs,
    recentLimits,
    safeLimit: settled ? Math.max(state.safeLimit, permitsOf(Math.min(...recentLimits.mins))) : state.safeLimit
  }
}

export type CongestionKind = "RateLimited" | "Overloaded" | "Timeout"

export interface CongestionSample {
  readonly nowMs: number
  readonly generation: number
  readonly kind: CongestionKind
}

/**
 * A 429 always cuts; 503/504/timeouts cut once they are a real share of answers. One decrease per
 * generation: the requests already in flight when the limit fell do not cut it again.
 */
export const onCongestion = (config: AimdConfig, state: AimdState, sample: CongestionSample): AimdState => {
  if (sample.kind === "RateLimited") {
    return sample.generation !== state.generation ? state : decrease(config, state, sample.nowMs, config.backoff, true)
  }
  const recorded: AimdState = { ...state, overload: recordOverload(state.overload, true) }
  return sample.generation !== state.generation || recorded.overload.fraction <= config.overloadShare
    ? recorded
    : decrease(config, recorded, sample.nowMs, config.backoff, false)
}
