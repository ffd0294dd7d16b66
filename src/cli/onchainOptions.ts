import { Options } from "@effect/cli"
import { Effect, Layer, Option } from "effect"
import type { PlanWindow } from "../domain/chainDays.js"
import { dayStart } from "../domain/chainDays.js"
import type { ChainKind } from "../domain/chainEras.js"
import { CHAIN_KINDS } from "../domain/chainEras.js"
import { UsageError } from "../domain/errors.js"
import { DEFAULT_SPAN, MAX_SPAN } from "../domain/logRange.js"
import { DEFAULT_ONCHAIN_SETTINGS, OnchainSettings } from "../services/OnchainSettings.js"

/** `plan onchain`'s window: UTC days or blocks; neither means from the first exchange to the chain head. */
export const onchainPlanOptions = {
  fromDate: Options.text("from-date").pipe(Options.withPseudoName("YYYY-MM-DD"), Options.withDescription("onchain: first UTC day to plan, YYYY-MM-DD (inclusive)"), Options.optional),
  toDate: Options.text("to-date").pipe(Options.withPseudoName("YYYY-MM-DD"), Options.withDescription("onchain: last UTC day to plan, YYYY-MM-DD (inclusive)"), Options.optional),
  fromBlock: Options.integer("from-block").pipe(Options.withPseudoName("BLOCK"), Options.withDescription("onchain: first block to plan (cut into UTC days)"), Options.optional),
  toBlock: Options.integer("to-block").pipe(Options.withPseudoName("BLOCK"), Options.withDescription("onchain: last block to plan (inclusive)"), Options.optional)
} as const

export const kindsOption = Options.text("kinds").pipe(
  Options.withPseudoName("KIND,..."),
  Options.withDescription(`onchain: what to read, comma-separated from ${CHAIN_KINDS.join(",")} (default all)`),
  Options.optional
)

/** eth_getLogs spans: where a day starts and the widest it grows to (a free RPC plan may allow 10 blocks). */
export const logRangeOptions = {
  logRange: Options.integer("log-range").pipe(
    Options.withPseudoName("BLOCKS"),
    Options.withDescription(`onchain: eth_getLogs block span each day starts with (default ${DEFAULT_SPAN}; it doubles until refused, then adapts)`),
    Options.optional
  ),
  maxLogRange: Options.integer("max-log-range").pipe(
    Options.withPseudoName("BLOCKS"),
    Options.withDescription(`onchain: the widest eth_getLogs block span (default ${MAX_SPAN}); equal to --log-range pins it`),
    Options.optional
  )
} as const

/** The spans, checked: whole numbers of at least 1, the start no wider than the maximum. */
export const resolveLogRange = (
  job: string,
  v: { readonly logRange: Option.Option<number>; readonly maxLogRange: Option.Option<number> }
): Effect.Effect<{ readonly initialSpan: number; readonly maxSpan: number }, UsageError> => {
  if ((Option.isSome(v.logRange) || Option.isSome(v.maxLogRange)) && job !== "onchain") {
    return Effect.fail(usage(`--log-range and --max-log-range apply to the onchain job only, not ${job}`))
  }
  const maxSpan = Option.getOrElse(v.maxLogRange, () => MAX_SPAN)
  const initialSpan = Option.getOrElse(v.logRange, () => Math.min(DEFAULT_SPAN, maxSpan))
  for (const [flag, n] of [["--log-range", initialSpan], ["--max-log-range", maxSpan]] as const) {
    if (!Number.isSafeInteger(n) || n < 1) return Effect.fail(usage(`${flag} must be a whole number of blocks of at least 1, got ${n}`))
  }
  if (initialSpan > maxSpan) return Effect.fail(usage(`--log-range ${initialSpan} is wider than --max-log-range ${maxSpan}`))
  return Effect.succeed({ initialSpan, maxSpan })
}

const usage = (message: string) => new UsageError({ message })

const validDay = (flag: string, value: string): Effect.Effect<string, UsageError> =>
  dayStart(value.trim()) === undefined ? Effect.fail(usage(`${flag} must be a UTC day like 2026-04-28, got "${value}"`)) : Effect.succeed(value.trim())

export interface PlanWindowValues {
  readonly fromDate: Option.Option<string>
  readonly toDate: Option.Option<string>
  readonly fromBlock: Option.Option<number>
  readonly toBlock: Option.Option<number>
}

/** The flags as a window; for another job than onchain, any of them is a usage error. */
export const resolvePlanWindow = (job: string, v: PlanWindowValues): Effect.Effect<PlanWindow, UsageError> =>
  Effect.gen(function* () {
    const dates = Option.isSome(v.fromDate) || Option.isSome(v.toDate)
    const blocks = Option.isSome(v.fromBlock) || Option.isSome(v.toBlock)
    if ((dates || blocks) && job !== "onchain") return yield* usage(`--from-date, --to-date, --from-block and --to-block plan the onchain job only, not ${job}`)
    if (dates && blocks) return yield* usage("give either --from-date/--to-date or --from-block/--to-block, not both")
    if (dates) {
      if (Option.isNone(v.fromDate) || Option.isNone(v.toDate)) return yield* usage("--from-date and --to-date go together, e.g. --from-date 2026-04-01 --to-date 2026-05-31")
      const from = yield* validDay("--from-date", v.fromDate.value)
      const to = yield* validDay("--to-date", v.toDate.value)
      if (to < from) return yield* usage(`--to-date ${to} is before --from-date ${from}`)
      return { by: "dates", from, to }
    }
    if (blocks) {
      if (Option.isNone(v.fromBlock) || Option.isNone(v.toBlock)) return yield* usage("--from-block and --to-block go together, e.g. --from-block 84902353 --to-block 85000000")
      const from = v.fromBlock.value
      const to = v.toBlock.value
      if (from < 0 || to < from) return yield* usage(`--from-block and --to-block must be a range of blocks (0 <= from <= to), got ${from}..${to}`)
      return { by: "blocks", from, to }
    }
    return { by: "default" }
  })

/** `--kinds fills,transfers`: each a known kind; none given means all. */
export const resolveKinds = (job: string, value: Option.Option<string>): Effect.Effect<ReadonlyArray<ChainKind>, UsageError> => {
  if (Option.isNone(value)) return Effect.succeed(CHAIN_KINDS)
  if (job !== "onchain") return Effect.fail(usage(`--kinds applies to the onchain job only, not ${job}`))
  const kinds = value.value.split(",").map((k) => k.trim()).filter((k) => k !== "")
  const unknown = kinds.filter((k) => !(CHAIN_KINDS as ReadonlyArray<string>).includes(k))
  if (kinds.length === 0 || unknown.length > 0) {
    return Effect.fail(usage(`--kinds takes a comma-separated list of ${CHAIN_KINDS.join(", ")}, got "${value.value}"`))
  }
  return Effect.succeed(CHAIN_KINDS.filter((k) => kinds.includes(k)))
}

export const layerOnchainSettings = (settings: Partial<typeof DEFAULT_ONCHAIN_SETTINGS>) =>
  Layer.succeed(OnchainSettings, { ...DEFAULT_ONCHAIN_SETTINGS, ...settings })
