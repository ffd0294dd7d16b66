import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { UsageError } from "../domain/errors.js"
import { formatLeaderboard, REPORT_FORMATS } from "../domain/pnlReport.js"
import { LEADERBOARD_METRICS, Pnl } from "../domain/statements.js"
import { ClickHouse } from "../services/ClickHouse.js"
import { layerClickHouseFromOptions } from "./clickhouseLayer.js"
import { clickhouseOptions, logOptions, withLogging } from "./common.js"
import { suggestWith, withSuggestedFlags } from "./suggest.js"

/** Resolved markets a wallet needs to be ranked, unless --min-markets says otherwise. */
export const DEFAULT_MIN_MARKETS = 10

export const leaderboardCommand = Command.make(
  "leaderboard",
  {
    metric: Options.choice("metric", LEADERBOARD_METRICS).pipe(
      Options.withDescription("rank by Omega (threshold 0; a wallet with no loss ranks first), realized P&L, win rate or volume"),
      Options.withDefault("omega" as const)
    ),
    minMarkets: Options.integer("min-markets").pipe(Options.withPseudoName("N"), Options.withDescription("resolved markets a wallet needs to be ranked"), Options.withDefault(DEFAULT_MIN_MARKETS)),
    top: Options.integer("top").pipe(Options.withPseudoName("N"), Options.withDescription("how many wallets"), Options.withDefault(50)),
    format: Options.choice("format", REPORT_FORMATS).pipe(Options.withDefault("table" as const)),
    ...clickhouseOptions,
    ...logOptions
  },
  (opts) =>
    Effect.gen(function* () {
      if (opts.minMarkets < 0 || opts.top < 1) return yield* new UsageError({ message: "--min-markets must be 0 or more and --top at least 1" })
      const ch = yield* ClickHouse
      const rows = yield* ch.query(Pnl.leaderboard.sql(opts.metric, opts.minMarkets, opts.top), Pnl.leaderboard.rows)
      if (rows.length === 0 && opts.format === "table") {
        return yield* Console.log(`no wallet with ${opts.minMarkets} or more resolved markets (run \`${suggestWith(opts)("pnl rebuild")}\` first, or lower --min-markets)`)
      }
      yield* Console.log(formatLeaderboard(rows, opts.format))
    }).pipe(Effect.provide(layerClickHouseFromOptions(opts)), withSuggestedFlags(suggestWith(opts)), withLogging(opts))
).pipe(Command.withDescription("Ranked wallets with realized P&L, win rate, Omega, markets and volume (from the last pnl rebuild)"))
