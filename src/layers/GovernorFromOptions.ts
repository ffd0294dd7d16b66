import { Effect, Either, Layer } from "effect"
import { UsageError } from "../domain/errors.js"
import type { Governor } from "../services/Governor.js"
import type { ClickHouse } from "../services/ClickHouse.js"
import { DEFAULT_INITIAL_WORKERS, DEFAULT_MAX_WORKERS, DEFAULT_MIN_WORKERS, layerAdaptive } from "./GovernorAdaptive.js"
import { layerFixed } from "./GovernorFixed.js"
import { layerAdaptivePersistent } from "./GovernorLimitsStore.js"

/** What `--workers auto|N`, `--min-workers`, `--max-workers` and `--rps` say, already parsed. */
export interface GovernorOptions {
  readonly workers: "auto" | number
  readonly min?: number | undefined
  readonly max?: number | undefined
  readonly rps?: number | undefined
}

export type ValidGovernorOptions =
  | { readonly mode: "fixed"; readonly workers: number; readonly rps?: number }
  | { readonly mode: "auto"; readonly initial: number; readonly min: number; readonly max: number; readonly rps?: number }

const positiveInteger = (value: number | undefined, flag: string): string | undefined =>
  value === undefined || (Number.isSafeInteger(value) && value >= 1)
    ? undefined
    : `${flag} must be a whole number of at least 1, got ${value}: e.g. ${flag} 8`

/** Checks the flags together; Left is one line naming the flag and the fix. */
export const validateGovernorOptions = (options: GovernorOptions): Either.Either<ValidGovernorOptions, UsageError> => {
  const workers = options.workers === "auto" ? undefined : options.workers
  const problem = positiveInteger(workers, "--workers") ??
    positiveInteger(options.min, "--min-workers") ??
    positiveInteger(options.max, "--max-workers") ??
    (options.rps === undefined || (Number.isFinite(options.rps) && options.rps > 0)
      ? undefined
      : `--rps must be a positive number of request starts per second, got ${options.rps}: e.g. --rps 50`)
  if (problem !== undefined) return Either.left(new UsageError({ message: problem }))
  const rps = options.rps !== undefined ? { rps: options.rps } : {}
  if (workers !== undefined) return Either.right({ mode: "fixed", workers, ...rps })
  const min = options.min ?? DEFAULT_MIN_WORKERS
  const max = options.max ?? Math.max(DEFAULT_MAX_WORKERS, min)
  if (min > max) {
    return Either.left(new UsageError({ message: `--min-workers ${min} is above --max-workers ${max}: lower --min-workers or raise --max-workers` }))
  }
  const initial = Math.min(max, Math.max(min, DEFAULT_INITIAL_WORKERS))
  return Either.right({ mode: "auto", initial, min, max, ...rps })
}

/** The governor for a run, without persistence of learned limits (tests, dry runs, no ClickHouse). */
export const layerGovernorFromOptions = (options: GovernorOptions): Layer.Layer<Governor, UsageError> =>
  Layer.unwrapEffect(
    Effect.map(validateGovernorOptions(options), (valid) =>
      valid.mode === "fixed"
        ? layerFixed(valid.workers, valid)
        : layerAdaptive(valid)
    )
  )

/**
 * The governor for a run that writes to ClickHouse: in auto mode it starts each host from the limit an
 * earlier run reached safely (table governor_limits) and saves what this run reached.
 */
export const layerGovernorFromOptionsPersistent = (
  options: GovernorOptions
): Layer.Layer<Governor, UsageError, ClickHouse> =>
  Layer.unwrapEffect(
    Effect.map(validateGovernorOptions(options), (valid): Layer.Layer<Governor, never, ClickHouse> =>
      valid.mode === "fixed"
        ? layerFixed(valid.workers, valid)
        : layerAdaptivePersistent(valid)
    )
  )
