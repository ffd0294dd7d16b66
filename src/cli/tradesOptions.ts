import { readFile } from "node:fs/promises"
import { Options } from "@effect/cli"
import { Config, Console, Effect, Layer, Option } from "effect"
import { UsageError } from "../domain/errors.js"
import { parseWalletsFile } from "../domain/walletsFile.js"
import type { TradesSettingsApi } from "../services/TradesSettings.js"
import { DEFAULT_TOP, DEFAULT_TRADES_SETTINGS, TradesSettings } from "../services/TradesSettings.js"
import type { RunSettings } from "./runOptions.js"

const usage = (message: string) => new UsageError({ message })

/** `plan trades`: which wallets. */
export const tradesPlanOptions = {
  top: Options.integer("top").pipe(
    Options.withPseudoName("N"),
    Options.withDescription(`trades: the N wallets with the most CLOB volume in clob_fills (default ${DEFAULT_TOP}; with --wallets-file only when given)`),
    Options.optional
  ),
  walletsFile: Options.text("wallets-file").pipe(
    Options.withPseudoName("PATH"),
    Options.withDescription("trades: also plan these wallets, one address per line (# comments); bad lines are reported and skipped"),
    Options.optional
  )
} as const

/** `run trades`: the external-trade runbook's knobs, which no other job reads. */
export const tradesRunOptions = {
  sleepMs: Options.integer("sleep-ms").pipe(
    Options.withPseudoName("MS"),
    Options.withDescription("trades: pause before each wallet of a worker, in ms (env BACKFILL_SLEEP_MS)"),
    Options.withFallbackConfig(Config.integer("BACKFILL_SLEEP_MS")),
    Options.withDefault(0)
  ),
  api: Options.choice("api", ["v1", "v2"] as const).pipe(
    Options.withDescription("trades: Data-API /activity (v1, offset paging split by time windows) or /v2/activity (cursor paging)"),
    Options.withDefault("v1" as const)
  )
} as const

export const layerTradesSettings = (settings: Partial<TradesSettingsApi>) => Layer.succeed(TradesSettings, { ...DEFAULT_TRADES_SETTINGS, ...settings })

/** Reads and checks `--top` and `--wallets-file`; every bad line of the file is printed with its number and reason. */
export const resolveTradesPlan = (
  job: string,
  v: { readonly top: Option.Option<number>; readonly walletsFile: Option.Option<string> }
): Effect.Effect<{ readonly settings: Partial<TradesSettingsApi>; readonly badLines: number; readonly file?: string }, UsageError> =>
  Effect.gen(function* () {
    if (job !== "trades") {
      if (Option.isSome(v.top) || Option.isSome(v.walletsFile)) return yield* usage(`--top and --wallets-file apply to the trades job only, not ${job}`)
      return { settings: {}, badLines: 0 }
    }
    if (Option.isSome(v.top) && (!Number.isSafeInteger(v.top.value) || v.top.value < 0)) {
      return yield* usage(`--top must be a whole number of wallets of at least 0, got ${v.top.value}: e.g. --top 1000`)
    }
    if (Option.isNone(v.walletsFile)) return { settings: { top: Option.getOrElse(v.top, () => DEFAULT_TOP) }, badLines: 0 }
    const path = v.walletsFile.value
    const text = yield* Effect.tryPromise({
      try: () => readFile(path, "utf8"),
      catch: (e) => usage(`--wallets-file ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}): give a readable file, one address per line`)
    })
    const parsed = parseWalletsFile(text)
    for (const bad of parsed.invalid) yield* Console.error(`${path} line ${bad.line}: "${bad.text}" skipped: ${bad.reason}`)
    return { settings: { top: Option.getOrUndefined(v.top), wallets: parsed.wallets }, badLines: parsed.invalid.length, file: path }
  })

/**
 * `run`'s settings for `job`, with the trades knobs: BACKFILL_LIMIT (when --limit is absent), --sleep-ms
 * and --api; --since/--until become the requests' start/end. Other jobs never see them.
 */
export const resolveTradesRun = (
  job: string,
  settings: RunSettings,
  v: { readonly sleepMs: number; readonly api: "v1" | "v2" }
): Effect.Effect<{ readonly settings: RunSettings; readonly trades: Partial<TradesSettingsApi> }, UsageError> =>
  Effect.gen(function* () {
    if (job !== "trades") return { settings, trades: {} }
    if (!Number.isSafeInteger(v.sleepMs) || v.sleepMs < 0) return yield* usage(`--sleep-ms must be a whole number of at least 0, got ${v.sleepMs} (env BACKFILL_SLEEP_MS)`)
    let limit = settings.selection.limit
    if (limit === undefined) {
      const fromEnv = yield* Effect.mapError(Config.option(Config.integer("BACKFILL_LIMIT")), () => usage("BACKFILL_LIMIT must be a whole number of wallets"))
      limit = Option.getOrUndefined(fromEnv)
      if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) return yield* usage(`BACKFILL_LIMIT must be at least 1, got ${limit}`)
    }
    const { since, until } = settings.selection
    return {
      // The units (wallets) are not dated: since/until leave the selection for the requests.
      settings: { ...settings, selection: { ...settings.selection, limit, since: undefined, until: undefined } },
      trades: { sleepMs: v.sleepMs, api: v.api, since, until }
    }
  })
