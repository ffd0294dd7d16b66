import { Layer } from "effect"
import { defaultAimdConfig } from "../domain/aimd.js"
import { Governor } from "../services/Governor.js"
import { makeGovernorEngine } from "./governorEngine.js"

/**
 * `--workers N`: N permits per host, never resized. Retry-After and an exhausted RateLimit-Remaining
 * still pause the host; 429s are counted for the snapshot but do not move the limit.
 */
export const layerFixed = (workers: number, options?: { readonly rps?: number }): Layer.Layer<Governor> =>
  Layer.effect(
    Governor,
    makeGovernorEngine({
      initial: Math.max(1, Math.floor(workers)),
      adaptive: false,
      aimd: defaultAimdConfig,
      ...(options?.rps !== undefined ? { rps: options.rps } : {})
    })
  )
