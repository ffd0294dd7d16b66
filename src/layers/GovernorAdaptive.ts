import { Layer } from "effect"
import type { AimdConfig } from "../domain/aimd.js"
import { defaultAimdConfig } from "../domain/aimd.js"
import { Governor } from "../services/Governor.js"
import type { GovernorEngine } from "./governorEngine.js"
import { makeGovernorEngine } from "./governorEngine.js"

export interface AdaptiveOptions {
  /** Starting limit of a host the governor knows nothing about. */
  readonly initial: number
  readonly min?: number
  readonly max?: number
  /** Ceiling on request starts per second, per host. */
  readonly rps?: number
  /** Extra permits after a Retry-After pause, as a fraction of the limit (default 0.5; 0 = none). */
  readonly catchUp?: number
  /** Fine tuning of the AIMD arithmetic (tests, benchmarks). */
  readonly aimd?: Partial<AimdConfig>
  /** The limit an earlier run reached safely for a host key; it replaces `initial` for that host. */
  readonly initialLimitOf?: (host: string) => number | undefined
}

export const DEFAULT_MIN_WORKERS = 1
export const DEFAULT_MAX_WORKERS = 256
export const DEFAULT_INITIAL_WORKERS = 8
/** After a Retry-After pause, half the limit again in extra permits for as long as the pause lasted. */
export const DEFAULT_CATCH_UP = 0.5

export const makeAdaptive = (options: AdaptiveOptions) => {
  const aimd: AimdConfig = {
    ...defaultAimdConfig,
    ...options.aimd,
    min: options.min ?? DEFAULT_MIN_WORKERS,
    max: options.max ?? DEFAULT_MAX_WORKERS
  }
  return makeGovernorEngine({
    initial: options.initial,
    adaptive: true,
    aimd,
    catchUp: options.catchUp ?? DEFAULT_CATCH_UP,
    ...(options.rps !== undefined ? { rps: options.rps } : {}),
    ...(options.initialLimitOf !== undefined ? { initialLimitOf: options.initialLimitOf } : {})
  })
}

/**
 * `--workers auto`: one limit per host, grown while responses are healthy and busy, cut multiplicatively
 * on 429 / 503 / timeouts / latency inflation, between min and max; Retry-After and RateLimit-* pause it.
 */
export const layerAdaptive = (options: AdaptiveOptions): Layer.Layer<Governor> =>
  Layer.effect(Governor, makeAdaptive(options))

export type { GovernorEngine }
