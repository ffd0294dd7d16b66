import { Args, Command, Options } from "@effect/cli"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { Clock, Console, Data, Effect, Schema } from "effect"
import { UsageError } from "../domain/errors.js"
import { Address } from "../domain/ids.js"
import { OVERSELL_RULES } from "../domain/pnl.js"
import { formatWalletMarkets, REPORT_FORMATS } from "../domain/pnlReport.js"
import { Pnl } from "../domain/statements.js"
import { ClickHouse } from "../services/ClickHouse.js"
import type { Gate, Snapshot } from "../streams/pnlRebuild.js"
import { DEFAULT_REBUILD, rebuildPnl } from "../streams/pnlRebuild.js"
import { layerClickHouseFromOptions } from "./clickhouseLayer.js"
import { clickhouseOptions, logOptions, withLogging } from "./common.js"
import { suggestWith, withSuggestedFlags } from "./suggest.js"

/** Raised when the gate refuses the rebuild: exit 1, nothing swapped. */
export class GateFailed extends Data.TaggedError("GateFailed")<{ readonly message: string }> {}

export const gateLine = (g: Gate) =>
  `gate ${g.name}: ${g.passed ? "ok" : "FAILED"}, value ${Number(g.value.toFixed(6))} (threshold ${g.name === "direction" ? `>= ${g.threshold}` : `<= ${g.threshold}`}): ${g.detail}`

/** post_rebuild_snapshot_20260503T120000Z.json */
export const snapshotName = (epochMs: number): string =>
  `post_rebuild_snapshot_${new Date(epochMs).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}.json`

export const summaryLines = (s: Snapshot): ReadonlyArray<string> => [
  `${s.trades} trades, ${s.wallets} wallets, ${s.markets} markets (${s.marketsResolved} resolved)`,
  `total realized P&L ${s.totalPnl.toFixed(2)} USDC, volume ${s.volume.toFixed(2)} USDC, fees ${s.fees.toFixed(2)} USDC`,
  `--oversell ${s.oversell}: ${s.oversold.sells} sells beyond the recorded holding, ${s.oversold.volume.toFixed(2)} USDC of volume`
]

/** Writes post_rebuild_snapshot_<timestamp>.json into `dir`; returns its path. */
export const writeSnapshot = (dir: string, nowMs: number, snapshot: Snapshot, fix: string): Effect.Effect<string, UsageError> => {
  const path = join(dir, snapshotName(nowMs))
  return Effect.try({
    try: () => {
      writeFileSync(path, `${JSON.stringify({ createdAt: new Date(nowMs).toISOString(), ...snapshot }, null, 2)}\n`)
      return path
    },
    catch: (e) => new UsageError({ message: `cannot write the snapshot ${path}: ${String(e).split("\n")[0]} (${fix})` })
  })
}

const rebuildCommand = Command.make(
  "rebuild",
  {
    oversell: Options.choice("oversell", OVERSELL_RULES).pipe(
      Options.withDescription("sells beyond the recorded holding: floor ignores the excess (Polymarket's indexer), short goes below zero"),
      Options.withDefault(DEFAULT_REBUILD.oversell)
    ),
    directionThreshold: Options.float("direction-threshold").pipe(
      Options.withDescription("share of volume whose side must agree with the transfers (default 0.95)"),
      Options.withDefault(DEFAULT_REBUILD.directionThreshold)
    ),
    snapshotDir: Options.directory("snapshot-dir").pipe(
      Options.withDescription("where post_rebuild_snapshot_<timestamp>.json is written (default: the current directory)"),
      Options.withDefault(".")
    ),
    bucketTrades: Options.integer("bucket-trades").pipe(Options.withPseudoName("N"), 
      Options.withDescription("trades folded per bucket of wallets (memory: about 1 KB each)"),
      Options.withDefault(DEFAULT_REBUILD.bucketTrades)
    ),
    ...clickhouseOptions,
    ...logOptions
  },
  (opts) =>
    Effect.gen(function* () {
      if (!(opts.directionThreshold >= 0 && opts.directionThreshold <= 1)) {
        return yield* new UsageError({ message: `--direction-threshold ${opts.directionThreshold} is not a share: give a number from 0 to 1` })
      }
      if (opts.bucketTrades < 1) return yield* new UsageError({ message: "--bucket-trades must be at least 1" })
      const nowMs = yield* Clock.currentTimeMillis
      const snapshot = yield* rebuildPnl(
        { oversell: opts.oversell, directionThreshold: opts.directionThreshold, bucketTrades: opts.bucketTrades, now: Math.floor(nowMs / 1000) },
        (line) => Effect.logInfo(line)
      )
      const path = yield* writeSnapshot(opts.snapshotDir, nowMs, snapshot, "check --snapshot-dir")
      for (const line of summaryLines(snapshot)) yield* Console.log(line)
      for (const g of snapshot.gates) {
        yield* Console.log(gateLine(g))
        for (const o of g.offenders) yield* Console.log(`  ${o}`)
      }
      yield* Console.log(`snapshot: ${path}`)
      const failed = snapshot.gates.filter((g) => !g.passed).map((g) => g.name)
      if (failed.length > 0) return yield* new GateFailed({ message: `pnl rebuild: gate ${failed.join(", ")} failed; nothing was swapped (the previous tables still answer)` })
      yield* Console.log("swapped in: wallet_market_pnl, wallet_leaderboard")
    }).pipe(Effect.provide(layerClickHouseFromOptions(opts)), withSuggestedFlags(suggestWith(opts)), withLogging(opts))
).pipe(Command.withDescription("Rebuild wallet P&L and the leaderboard into staging, gate it, and swap it in atomically (usable as --on-complete)"))

const walletCommand = Command.make(
  "wallet",
  {
    address: Args.text({ name: "ADDRESS" }).pipe(Args.withDescription("the wallet (proxy) address, 0x + 40 hex digits")),
    format: Options.choice("format", REPORT_FORMATS).pipe(Options.withDefault("table" as const)),
    ...clickhouseOptions,
    ...logOptions
  },
  (opts) =>
    Effect.gen(function* () {
      const wallet = yield* Schema.decodeUnknown(Address)(opts.address.toLowerCase()).pipe(
        Effect.mapError(() => new UsageError({ message: `ADDRESS ${JSON.stringify(opts.address)} is not a wallet address: give 0x followed by 40 hex digits` }))
      )
      const ch = yield* ClickHouse
      const rows = yield* ch.query(Pnl.walletMarkets.sql(wallet), Pnl.walletMarkets.rows)
      if (rows.length === 0) return yield* Console.log(`${wallet}: no P&L rows (no trades, or run \`${suggestWith(opts)("pnl rebuild")}\` first)`)
      yield* Console.log(formatWalletMarkets(wallet, rows, opts.format))
    }).pipe(Effect.provide(layerClickHouseFromOptions(opts)), withSuggestedFlags(suggestWith(opts)), withLogging(opts))
).pipe(Command.withDescription("One wallet's markets: cost, proceeds, fees, payout and realized P&L, to check a figure by hand"))

export const pnlCommand = Command.make("pnl").pipe(
  Command.withDescription("Wallet P&L: rebuild it, or show one wallet's markets"),
  Command.withSubcommands([rebuildCommand, walletCommand])
)
