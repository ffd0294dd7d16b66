import { Options } from "@effect/cli"
import { Config, Duration, Effect, Either, Option } from "effect"
import { UsageError } from "../domain/errors.js"
import type { Selection, Shard } from "../domain/units.js"
import { ALL_SHARDS, parseShard } from "../domain/units.js"
import type { GovernorOptions } from "../layers/GovernorFromOptions.js"
import { validateGovernorOptions } from "../layers/GovernorFromOptions.js"
import { DEFAULT_STALL_TIMEOUT as ENGINE_STALL_TIMEOUT } from "../streams/engine.js"

export const DEFAULT_WORKERS = "auto"
export const DEFAULT_BATCH_SIZE = 5000
export const DEFAULT_CHECKPOINT_INTERVAL = 5000
export const DEFAULT_FLUSH_INTERVAL = "2s"
export const DEFAULT_REQUEST_TIMEOUT = "30s"
/** The engine's own default, as the flag spells it. */
export const DEFAULT_STALL_TIMEOUT = `${Duration.toSeconds(ENGINE_STALL_TIMEOUT)}s`

/** --checkpoint's environment variable: one setting for a deployment that keeps its plan in files. */
const checkpointEnv = Config.literal("clickhouse", "file")("POLYBACKFILL_CHECKPOINT")

/** Where unit status and cursors live; every command that reads or writes units takes it. */
export const checkpointOption = Options.choice("checkpoint", ["clickhouse", "file"] as const).pipe(
  Options.withDescription("where unit status and cursors live: ClickHouse backfill_units, or a crash-safe log under --state-dir (env POLYBACKFILL_CHECKPOINT; default clickhouse)"),
  Options.withFallbackConfig(checkpointEnv),
  Options.withDefault("clickhouse" as const)
)

/** `run`'s flags. The seeds' environment names work as fallbacks. */
export const runOptions = {
  workers: Options.text("workers").pipe(
    Options.withPseudoName("auto|N"),
    Options.withDescription(
      "requests per host at once: auto rises while the host answers well and falls on 429s, timeouts and slow answers, from the limit an earlier run learned; N pins it (env WORKER_COUNT, default auto)"
    ),
    Options.withFallbackConfig(Config.string("WORKER_COUNT")),
    Options.withDefault(DEFAULT_WORKERS)
  ),
  minWorkers: Options.integer("min-workers").pipe(Options.withPseudoName("N"), Options.withDescription("lower bound of --workers auto (default 1)"), Options.optional),
  maxWorkers: Options.integer("max-workers").pipe(Options.withPseudoName("N"), Options.withDescription("upper bound of --workers auto (default 256)"), Options.optional),
  rps: Options.float("rps").pipe(Options.withPseudoName("N"), Options.withDescription("ceiling on request starts per second and host (default none)"), Options.optional),
  delayMs: Options.integer("delay-ms").pipe(
    Options.withPseudoName("MS"),
    Options.withDescription("pause between requests of one worker, in ms (env DELAY_MS, default 0; the runbook's BACKFILL_SLEEP_MS is trades' --sleep-ms)"),
    Options.withFallbackConfig(Config.integer("DELAY_MS")),
    Options.withDefault(0)
  ),
  limit: Options.integer("limit").pipe(
    Options.withPseudoName("N"),
    Options.withDescription("take at most this many units (default all; for trades also env BACKFILL_LIMIT)"),
    Options.optional
  ),
  skip: Options.integer("skip").pipe(
    Options.withPseudoName("N"),
    Options.withDescription("skip this many runnable units first, in unit key order (default 0)"),
    Options.withDefault(0)
  ),
  since: Options.text("since").pipe(Options.withPseudoName("YYYY-MM-DD"), Options.withDescription("only units covering time from this UTC day on"), Options.optional),
  until: Options.text("until").pipe(Options.withPseudoName("YYYY-MM-DD"), Options.withDescription("only units covering time before this UTC day"), Options.optional),
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("fetch and decode, write nothing, print what would be written")),
  batchSize: Options.integer("batch-size").pipe(
    Options.withPseudoName("ROWS"),
    Options.withDescription(`rows per insert (env INSERT_BATCH_SIZE, default ${DEFAULT_BATCH_SIZE})`),
    Options.withFallbackConfig(Config.integer("INSERT_BATCH_SIZE")),
    Options.withDefault(DEFAULT_BATCH_SIZE)
  ),
  flushInterval: Options.text("flush-interval").pipe(
    Options.withPseudoName("DURATION"),
    Options.withDescription(`longest a partial batch waits before it is inserted, e.g. 500ms (default ${DEFAULT_FLUSH_INTERVAL})`),
    Options.withDefault(DEFAULT_FLUSH_INTERVAL)
  ),
  checkpointInterval: Options.integer("checkpoint-interval").pipe(
    Options.withPseudoName("ROWS"),
    Options.withDescription(`rows between cursor checkpoints inside a unit (env CHECKPOINT_INTERVAL, default ${DEFAULT_CHECKPOINT_INTERVAL})`),
    Options.withFallbackConfig(Config.integer("CHECKPOINT_INTERVAL")),
    Options.withDefault(DEFAULT_CHECKPOINT_INTERVAL)
  ),
  checkpoint: checkpointOption,
  retryErrors: Options.boolean("retry-errors").pipe(Options.withDescription("also run units that ended in error")),
  requestTimeout: Options.text("request-timeout").pipe(
    Options.withPseudoName("DURATION"),
    Options.withDescription(`longest one request may take (default ${DEFAULT_REQUEST_TIMEOUT})`),
    Options.withDefault(DEFAULT_REQUEST_TIMEOUT)
  ),
  stallTimeout: Options.text("stall-timeout").pipe(
    Options.withPseudoName("DURATION"),
    Options.withDescription(`a unit with no progress this long (no page, no rows written) is interrupted and retried (default ${DEFAULT_STALL_TIMEOUT})`),
    Options.withDefault(DEFAULT_STALL_TIMEOUT)
  ),
  maxAttempts: Options.integer("max-attempts").pipe(
    Options.withPseudoName("N"),
    Options.withDescription("attempts per request before its unit fails (default 8)"),
    Options.optional
  ),
  shard: Options.text("shard").pipe(
    Options.withPseudoName("i/N"),
    Options.withDescription("take only the units whose key hashes to shard i of N (run N processes to share a job; env SHARD_ID and SHARDS)"),
    Options.optional
  )
} as const

type OptionValue<O> = O extends Options.Options<infer A> ? A : never
export type RunOptionValues = { readonly [K in keyof typeof runOptions]: OptionValue<(typeof runOptions)[K]> }

/** `run`'s flags, checked and resolved. */
export interface RunSettings {
  readonly governor: GovernorOptions
  /** Units in flight: the pinned worker count, or the upper bound in auto mode. */
  readonly unitConcurrency: number
  readonly workersLabel: string
  readonly delayMs: number
  readonly requestTimeoutMs: number
  readonly stallTimeoutMs: number
  readonly maxAttempts: number | undefined
  readonly selection: Selection
  readonly dryRun: boolean
  readonly batchSize: number
  readonly flushIntervalMs: number
  readonly checkpointInterval: number
  readonly checkpoint: "clickhouse" | "file"
  readonly shard: Shard
}

const usage = (message: string) => new UsageError({ message })

/** "30s", "500ms", "2m", "1.5s" or a bare number of seconds; a string is the reason it is not one. */
export const parseDurationMs = (text: string, flag: string): number | string => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text)
  if (m === null) return `${flag} must be a duration like 30s, 500ms or 2m, got "${text}"`
  const n = Number(m[1])
  const unit = m[2] ?? "s"
  return Math.round(unit === "ms" ? n : unit === "s" ? n * 1000 : unit === "m" ? n * 60_000 : n * 3_600_000)
}

/** `--workers`: a whole number of at least 1, or auto. The one place it is parsed. */
export const parseWorkers = (text: string): number | "auto" | string => {
  const t = text.trim().toLowerCase()
  if (t === "auto") return "auto"
  if (/^\d+$/.test(t) && Number(t) >= 1) return Number(t)
  return `--workers must be a whole number of at least 1 or auto, got "${text}": e.g. --workers 32 (env WORKER_COUNT)`
}

const parseDayFlag = (value: Option.Option<string>, flag: string): Either.Either<number | undefined, UsageError> => {
  if (Option.isNone(value)) return Either.right(undefined)
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.value.trim())
  const ms = m === null ? Number.NaN : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  if (m === null || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value.value.trim()) {
    return Either.left(usage(`${flag} must be a day like 2026-04-28, got "${value.value}"`))
  }
  return Either.right(ms / 1000)
}

/** The runbook's SHARD_ID and SHARDS, as "i/N" when both are set. */
const shardFromEnv: Effect.Effect<Option.Option<string>> = Config.all([Config.string("SHARD_ID"), Config.string("SHARDS")]).pipe(
  Config.map(([id, count]) => `${id.trim()}/${count.trim()}`),
  Config.option,
  Effect.orElseSucceed(() => Option.none<string>())
)

export const resolveRunOptions = (v: RunOptionValues): Effect.Effect<RunSettings, UsageError> =>
  Effect.gen(function* () {
    const workers = parseWorkers(v.workers)
    if (workers !== "auto" && typeof workers === "string") return yield* usage(workers)
    const governor: GovernorOptions = {
      workers,
      min: Option.getOrUndefined(v.minWorkers),
      max: Option.getOrUndefined(v.maxWorkers),
      rps: Option.getOrUndefined(v.rps)
    }
    const valid = yield* validateGovernorOptions(governor)
    const unitConcurrency = valid.mode === "fixed" ? valid.workers : valid.max
    const positive = (n: number, flag: string, example: string) =>
      Number.isSafeInteger(n) && n >= 1 ? Effect.void : Effect.fail(usage(`${flag} must be a whole number of at least 1, got ${n}: e.g. ${flag} ${example}`))
    yield* positive(v.batchSize, "--batch-size", "5000")
    yield* positive(v.checkpointInterval, "--checkpoint-interval", "5000")
    if (Option.isSome(v.limit)) yield* positive(v.limit.value, "--limit", "100")
    if (Option.isSome(v.maxAttempts)) yield* positive(v.maxAttempts.value, "--max-attempts", "8")
    if (!Number.isSafeInteger(v.skip) || v.skip < 0) return yield* usage(`--skip must be a whole number of at least 0, got ${v.skip}`)
    if (!Number.isSafeInteger(v.delayMs) || v.delayMs < 0) return yield* usage(`--delay-ms must be a whole number of at least 0, got ${v.delayMs} (env DELAY_MS)`)
    const flushIntervalMs = parseDurationMs(v.flushInterval, "--flush-interval")
    if (typeof flushIntervalMs === "string") return yield* usage(flushIntervalMs)
    const requestTimeoutMs = parseDurationMs(v.requestTimeout, "--request-timeout")
    if (typeof requestTimeoutMs === "string") return yield* usage(requestTimeoutMs)
    if (requestTimeoutMs < 1) return yield* usage(`--request-timeout must be above 0, e.g. --request-timeout 30s`)
    const stallTimeoutMs = parseDurationMs(v.stallTimeout, "--stall-timeout")
    if (typeof stallTimeoutMs === "string") return yield* usage(stallTimeoutMs)
    if (stallTimeoutMs < 1) return yield* usage(`--stall-timeout must be above 0, e.g. --stall-timeout 60s`)
    const since = yield* parseDayFlag(v.since, "--since")
    const until = yield* parseDayFlag(v.until, "--until")
    if (since !== undefined && until !== undefined && until <= since) {
      return yield* usage(`--until must be after --since (got --since ${Option.getOrElse(v.since, () => "")} --until ${Option.getOrElse(v.until, () => "")})`)
    }
    let shard = ALL_SHARDS
    const shardText = Option.isSome(v.shard) ? v.shard : yield* shardFromEnv
    if (Option.isSome(shardText)) {
      const parsed = parseShard(shardText.value)
      if (typeof parsed === "string") return yield* usage(Option.isSome(v.shard) ? parsed : `${parsed} (from SHARD_ID and SHARDS)`)
      shard = parsed
    }
    return {
      governor,
      unitConcurrency,
      workersLabel: valid.mode === "fixed" ? String(valid.workers) : `auto ${valid.min}..${valid.max}`,
      delayMs: v.delayMs,
      requestTimeoutMs,
      stallTimeoutMs,
      maxAttempts: Option.getOrUndefined(v.maxAttempts),
      selection: { retryErrors: v.retryErrors, shard, skip: v.skip, limit: Option.getOrUndefined(v.limit), since, until },
      dryRun: v.dryRun,
      batchSize: v.batchSize,
      flushIntervalMs,
      checkpointInterval: v.checkpointInterval,
      checkpoint: v.checkpoint,
      shard
    }
  })
